import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdmitRequest, TenantGate } from '../../workers/objects/tenant-gate';
import { truncateAll } from '../helpers/db';

beforeAll(async () => {
  await truncateAll();
});

const TENANT = '00000000-0000-4000-8000-00000000ae71';
const KEY = {
  keyId: '00000000-0000-4000-8000-00000000c0de',
  keyHash: 'a'.repeat(64),
  scopes: ['ingest'],
  revoked: false,
};
const limits = { ratePerSec: 0, burst: 100, monthlyQuota: 1000 };

function request(events: number, over: Partial<AdmitRequest> = {}): AdmitRequest {
  return {
    tenantId: TENANT,
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
    const gate = env.TENANT_GATE.getByName(TENANT);
    await gate.putKey(KEY);
    const first = await gate.admit(request(30));
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
    const gate = env.TENANT_GATE.getByName(TENANT);
    const admitted = await gate.admit(request(50));
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
    const check = await gate.admit(request(0));
    expect(check.outcome === 'checked' && check.rateLimit.remaining).toBe(70);
  });

  it('refuses a request larger than the remaining tokens without charging it', async () => {
    const gate = env.TENANT_GATE.getByName(TENANT);
    const refused = await gate.admit(request(71));
    expect(refused).toMatchObject({ outcome: 'rate_limited', limit: 'tenant' });
    const ok = await gate.admit(request(70));
    expect(ok.outcome).toBe('admitted');
  });

  it('never un-revokes a key', async () => {
    const gate = env.TENANT_GATE.getByName(TENANT);
    await gate.putKey({ ...KEY, revoked: true });
    await gate.putKey(KEY);
    expect((await gate.getKey(KEY.keyHash))?.revoked).toBe(true);
    expect((await gate.admit(request(1, { knownKey: KEY }))).outcome).toBe('revoked');
  });
});
