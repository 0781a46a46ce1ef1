import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { generateApiKey, sha256Hex } from '@pulsestream/core/auth';
import { sql } from 'drizzle-orm';
import { withDb } from './db';

/** A tenant with plan limits and one API key, created by inserting rows (independent of the identity routes). */
export interface IngestTenant {
  tenantId: string;
  key: string;
  keyId: string;
  keyHash: string;
}

export interface PlanOverrides {
  retentionDays?: number;
  monthlyEventQuota?: number;
  rateLimitPerSec?: number;
  rateLimitBurst?: number;
  scopes?: string[];
  /** Skip telling the gate about the key, as for a key created before the gate existed. */
  skipGate?: boolean;
}

/** Creates a tenant (plan limits as given) and an API key, and syncs the key into the tenant's gate. */
export async function createIngestTenant(plan: PlanOverrides = {}): Promise<IngestTenant> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const { key, prefix } = generateApiKey();
  const keyHash = await sha256Hex(key);
  const scopes = plan.scopes ?? ['ingest', 'read'];
  const { tenantId, keyId } = await withDb(async (db) => {
    const t = await db.execute<{ id: string }>(sql`
      INSERT INTO tenants (name, slug, retention_days, monthly_event_quota, rate_limit_per_sec, rate_limit_burst)
      VALUES (${`Ingest ${suffix}`}, ${`ingest-${suffix}`}, ${plan.retentionDays ?? 30},
              ${plan.monthlyEventQuota ?? 10_000_000}, ${plan.rateLimitPerSec ?? 100_000}, ${plan.rateLimitBurst ?? 100_000})
      RETURNING id`);
    const id = t.rows[0]?.id;
    if (!id) throw new Error('tenant insert returned nothing');
    const k = await db.execute<{ id: string }>(sql`
      INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes)
      VALUES (${id}, 'test key', ${prefix}, ${keyHash}, ${sql.param(scopes)}::text[])
      RETURNING id`);
    const kid = k.rows[0]?.id;
    if (!kid) throw new Error('api key insert returned nothing');
    return { tenantId: id, keyId: kid };
  });
  if (!plan.skipGate) {
    await env.TENANT_GATE.getByName(tenantId).putKey({ keyId, keyHash, scopes, revoked: false });
  }
  return { tenantId, key, keyId, keyHash };
}

/** A valid event; `over` replaces fields. */
export function sampleEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 87.5,
    properties: { customer: 'cus_123' },
    ...over,
  };
}

/** POSTs to /v1/events through the Worker's own fetch handler. */
export function postEvents(
  key: string | null,
  body: BodyInit | null,
  headers: Record<string, string> = {},
): Promise<Response> {
  return exports.default.fetch('http://ps.test/v1/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { 'x-api-key': key } : {}),
      ...headers,
    },
    body,
  });
}

/** Waits for `probe` to return true, polling, for at most `limitMs`; throws with `what` on timeout. */
export async function waitFor(what: string, probe: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return;
    if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows in `events` and the sum of rollup counts for a tenant. */
export async function storedCounts(tenantId: string): Promise<{ events: number; rollups: number }> {
  return withDb(async (db) => {
    const e = await db.execute<{ n: string }>(
      sql`SELECT count(*)::text AS n FROM events WHERE tenant_id = ${tenantId}`,
    );
    const r = await db.execute<{ n: string }>(
      sql`SELECT coalesce(sum(count), 0)::text AS n FROM event_rollups_1m WHERE tenant_id = ${tenantId}`,
    );
    return { events: Number(e.rows[0]?.n ?? 0), rollups: Number(r.rows[0]?.n ?? 0) };
  });
}
