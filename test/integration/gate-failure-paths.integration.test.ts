import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdmitRequest } from '../../workers/objects/tenant-gate/types';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

const KEY = {
  keyId: '00000000-0000-4000-8000-00000000c0de',
  keyHash: 'b'.repeat(64),
  scopes: ['ingest'],
  revoked: false,
};
const limits = { ratePerSec: 0, burst: 1000, monthlyQuota: 10_000 };

function request(tenantId: string, events: number): AdmitRequest {
  return { tenantId, keyHash: KEY.keyHash, scope: 'ingest', limits, events, rejected: 0, bytes: events * 10 };
}

async function usageOf(tenantId: string) {
  return withDb(async (db) => {
    const r = await db.execute<{ accepted: number; bytes: number }>(
      sql`SELECT accepted::int, bytes::int FROM usage_daily WHERE tenant_id = ${tenantId}`,
    );
    return r.rows;
  });
}

describe('TenantGate usage when a charge is released', () => {
  it('takes back in usage_daily a charge released after a flush had written it', async () => {
    const t = await createIngestTenant();
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    await gate.putKey(KEY);
    expect((await gate.admit(request(t.tenantId, 30))).outcome).toBe('admitted');
    const second = await gate.admit(request(t.tenantId, 50));
    if (second.outcome !== 'admitted') throw new Error(`expected admitted, got ${second.outcome}`);
    // The alarm's flush lands while the second request's queue send is still in flight…
    await gate.flushUsage();
    expect(await usageOf(t.tenantId)).toEqual([{ accepted: 80, bytes: 800 }]);
    // …then the send fails and the charge is given back: 50 events were answered 503, not accepted.
    await gate.release({ keyHash: KEY.keyHash, limits, events: 50, bytes: 500, day: second.day, month: second.month });
    await gate.flushUsage();
    expect(await usageOf(t.tenantId)).toEqual([{ accepted: 30, bytes: 300 }]);
    expect(await gate.quotaUsage()).toBe(30);
  });
});
