import { env, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantGate } from '../../workers/objects/tenant-gate';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, postEvents, sampleEvent } from '../helpers/ingest';
import { createTestApiKey, createTestUser } from '../helpers/tenants';

beforeAll(async () => {
  await truncateAll();
});

/** `lastUsedAt` of a key as `GET /v1/api-keys` lists it, read with an admin's token. */
async function listedLastUsedAt(adminBearer: string, keyId: string): Promise<string | null> {
  const res = await exports.default.fetch('http://ps.test/v1/api-keys', { headers: { authorization: adminBearer } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { id: string; lastUsedAt: string | null }[] };
  const key = body.data.find((k) => k.id === keyId);
  if (!key) throw new Error(`key ${keyId} is not listed`);
  return key.lastUsedAt;
}

/** The stored value at full (microsecond) precision, to tell two writes within one millisecond apart. */
async function storedLastUsedAt(keyId: string): Promise<string | null> {
  return withDb(async (db) => {
    const r = await db.execute<{ t: string | null }>(
      sql`SELECT last_used_at::text AS t FROM api_keys WHERE id = ${keyId}`,
    );
    return r.rows[0]?.t ?? null;
  });
}

function expectWithin(iso: string | null, from: number, to: number): void {
  expect(iso).not.toBeNull();
  const t = Date.parse(iso ?? '');
  expect(t).toBeGreaterThanOrEqual(from);
  expect(t).toBeLessThanOrEqual(to);
}

describe('API key lastUsedAt', () => {
  it('is null for a fresh key, and set by the gate flush after an ingest request, not by the request', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    const admin = await createTestUser(t.tenantId, 'admin');
    expect(await listedLastUsedAt(admin.bearer, t.keyId)).toBeNull();

    const from = Date.now();
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);
    // The ingest path writes nothing to Postgres: the use waits in the gate's memory (alarm at ≥ 1 s).
    expect(await storedLastUsedAt(t.keyId)).toBeNull();

    await env.TENANT_GATE.getByName(t.tenantId).flushUsage();
    const to = Date.now();
    expectWithin(await listedLastUsedAt(admin.bearer, t.keyId), from, to);
  });

  it('counts a request the gate refuses after authenticating the key, but not one with a revoked key', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    const admin = await createTestUser(t.tenantId, 'admin');
    const revoked = await createTestApiKey(t.tenantId, ['ingest'], { revoked: true });
    const gate = env.TENANT_GATE.getByName(t.tenantId);

    const from = Date.now();
    expect((await postEvents(t.key, 'not json')).status).toBe(400);
    expect((await postEvents(revoked.key, JSON.stringify(sampleEvent()))).status).toBe(401);
    await gate.flushUsage();
    const to = Date.now();
    expectWithin(await listedLastUsedAt(admin.bearer, t.keyId), from, to);
    expect(await listedLastUsedAt(admin.bearer, revoked.id)).toBeNull();
  });

  it('never moves lastUsedAt backwards when a flush carries an older time', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);
    const later = '2999-01-01 00:00:00+00';
    await withDb((db) =>
      db.execute(sql`UPDATE api_keys SET last_used_at = ${later}::timestamptz WHERE id = ${t.keyId}`),
    );
    await env.TENANT_GATE.getByName(t.tenantId).flushUsage();
    expect(await storedLastUsedAt(t.keyId)).toBe(later);
  });

  it('keeps a use whose flush failed, and writes it with the next flush', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    const from = Date.now();
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);

    // Point the gate at a port where nothing listens, so its Postgres write fails for real.
    const failure = await runInDurableObject(gate, async (instance: TenantGate) => {
      const inner = instance as unknown as { env: Env };
      const saved = inner.env;
      inner.env = { ...saved, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing' };
      try {
        await instance.flushUsage();
        return null;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      } finally {
        inner.env = saved;
      }
    });
    expect(failure).toMatch(/Failed query/);
    expect(await storedLastUsedAt(t.keyId)).toBeNull();

    await gate.flushUsage();
    const to = Date.now();
    expectWithin(await storedLastUsedAt(t.keyId), from, to);
  });

  it('is set in the request for a read-scope key on a query route, at most once a minute', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    const admin = await createTestUser(t.tenantId, 'admin');
    const reader = await createTestApiKey(t.tenantId, ['read']);
    const read = () => exports.default.fetch('http://ps.test/v1/events', { headers: { 'x-api-key': reader.key } });
    expect(await listedLastUsedAt(admin.bearer, reader.id)).toBeNull();

    const from = Date.now();
    expect((await read()).status).toBe(200);
    const to = Date.now();
    expectWithin(await listedLastUsedAt(admin.bearer, reader.id), from, to);

    // Within the minute: no second write.
    const first = await storedLastUsedAt(reader.id);
    expect((await read()).status).toBe(200);
    expect(await storedLastUsedAt(reader.id)).toBe(first);

    // Older than a minute: written again.
    await withDb((db) =>
      db.execute(sql`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = ${reader.id}`),
    );
    const again = Date.now();
    expect((await read()).status).toBe(200);
    expectWithin(await listedLastUsedAt(admin.bearer, reader.id), again, Date.now());
  });
});
