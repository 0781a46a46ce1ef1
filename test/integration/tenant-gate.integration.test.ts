import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantGate } from '../../workers/objects/tenant-gate';
import type { AdmitRequest } from '../../workers/objects/tenant-gate/types';
import { truncateAll } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

const KEY = {
  keyId: '00000000-0000-4000-8000-00000000c0de',
  keyHash: 'a'.repeat(64),
  scopes: ['ingest'],
  revoked: false,
};
const limits = { ratePerSec: 0, burst: 100, monthlyQuota: 1000 };

/** Each test has a tenant (and so a gate) of its own, with the key known: no test depends on another's charges. */
async function newGate(): Promise<{ tenantId: string; gate: DurableObjectStub<TenantGate> }> {
  const tenantId = crypto.randomUUID();
  const gate = env.TENANT_GATE.getByName(tenantId);
  await gate.putKey(KEY);
  return { tenantId, gate };
}

function request(tenantId: string, events: number, over: Partial<AdmitRequest> = {}): AdmitRequest {
  return {
    tenantId,
    keyHash: KEY.keyHash,
    scope: 'ingest',
    limits,
    events,
    rejected: 0,
    bytes: events * 10,
    ...over,
  };
}

describe('TenantGate', () => {
  it('charges in memory and writes the counters behind, from the alarm', async () => {
    const { tenantId, gate } = await newGate();
    const first = await gate.admit(request(tenantId, 30));
    expect(first.outcome).toBe('admitted');
    // Nothing written yet: the request did not wait for storage.
    const before = await runInDurableObject(gate, (_: TenantGate, state) =>
      state.storage.sql.exec('SELECT count(*) AS n FROM buckets').one(),
    );
    expect(before.n).toBe(0);
    expect(await runDurableObjectAlarm(gate)).toBe(true);
    const after = await runInDurableObject(gate, (_: TenantGate, state) => ({
      buckets: state.storage.sql.exec('SELECT name, tokens FROM buckets ORDER BY name').toArray(),
      quota: state.storage.sql.exec('SELECT used FROM quota').toArray(),
    }));
    expect(after.buckets).toEqual([
      { name: `key:${KEY.keyHash}`, tokens: 70 },
      { name: 'tenant', tokens: 70 },
    ]);
    expect(after.quota).toEqual([{ used: 30 }]);
    expect(await gate.quotaUsage()).toBe(30);
  });

  it('gives back a released charge', async () => {
    const { tenantId, gate } = await newGate();
    expect((await gate.admit(request(tenantId, 30))).outcome).toBe('admitted');
    const admitted = await gate.admit(request(tenantId, 50));
    if (admitted.outcome !== 'admitted') throw new Error(`expected admitted, got ${admitted.outcome}`);
    expect(admitted.rateLimit.remaining).toBe(20);
    await gate.release({
      keyHash: KEY.keyHash,
      limits,
      events: 50,
      bytes: 500,
      day: admitted.day,
      month: admitted.month,
    });
    expect(await gate.quotaUsage()).toBe(30);
    const check = await gate.admit(request(tenantId, 0));
    expect(check.outcome === 'checked' && check.rateLimit.remaining).toBe(70);
  });

  it('refuses a request larger than the remaining tokens without charging it', async () => {
    const { tenantId, gate } = await newGate();
    expect((await gate.admit(request(tenantId, 30))).outcome).toBe('admitted');
    const refused = await gate.admit(request(tenantId, 71));
    expect(refused).toMatchObject({ outcome: 'rate_limited', limit: 'tenant' });
    const ok = await gate.admit(request(tenantId, 70));
    expect(ok.outcome).toBe('admitted');
  });

  it('never un-revokes a key', async () => {
    const { tenantId, gate } = await newGate();
    await gate.putKey({ ...KEY, revoked: true });
    await gate.putKey(KEY);
    expect((await gate.getKey(KEY.keyHash))?.revoked).toBe(true);
    expect((await gate.admit(request(tenantId, 1, { knownKey: KEY }))).outcome).toBe('revoked');
  });

  it('refuses a key from the request after its revocation, though admits had it in memory', async () => {
    const { tenantId, gate } = await newGate();
    expect((await gate.admit(request(tenantId, 1))).outcome).toBe('admitted');
    expect((await gate.admit(request(tenantId, 1))).outcome).toBe('admitted');
    await gate.putKey({ ...KEY, revoked: true });
    expect((await gate.admit(request(tenantId, 1))).outcome).toBe('revoked');
    await gate.putKey(KEY);
    expect((await gate.admit(request(tenantId, 1, { knownKey: KEY }))).outcome).toBe('revoked');
    // What is in memory is what storage holds.
    const stored = await runInDurableObject(gate, (_: TenantGate, state) =>
      state.storage.sql.exec('SELECT revoked FROM api_keys WHERE key_hash = ?', KEY.keyHash).one(),
    );
    expect(stored.revoked).toBe(1);
  });
});

describe('TenantGate: a key it never heard of', () => {
  it('reads the key from the database itself, in the same call, and remembers it', async () => {
    const t = await createIngestTenant({ skipGate: true });
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    expect(await gate.getKey(t.keyHash)).toBeNull();
    const first = await gate.admit({ ...request(t.tenantId, 1), keyHash: t.keyHash });
    expect(first.outcome).toBe('admitted');
    expect(await gate.getKey(t.keyHash)).toMatchObject({ keyId: t.keyId, revoked: false });
  });

  it('refuses a key the database has for another tenant, and one it does not have', async () => {
    const other = await createIngestTenant({ skipGate: true });
    const { tenantId, gate } = await newGate();
    expect((await gate.admit({ ...request(tenantId, 1), keyHash: other.keyHash })).outcome).toBe('unknown_key');
    expect((await gate.admit({ ...request(tenantId, 1), keyHash: 'b'.repeat(64) })).outcome).toBe('unknown_key');
    expect(await gate.getKey(other.keyHash)).toBeNull();
  });
});
