import { sql } from 'drizzle-orm';
import type { Database } from '../client';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One remembered use of an API key: its id and the latest time it was used. */
export interface ApiKeyUse {
  keyId: string;
  at: Date;
}

/**
 * Writes the last use of many keys of one tenant in one statement (the TenantGate's batch, flushed with
 * usage). `greatest` keeps `last_used_at` from moving backwards when a write from the read path, or an
 * older flush retried late, lands out of order. Keys of another tenant, or deleted ones, are skipped.
 */
export async function recordApiKeyUses(db: Database, tenantId: string, uses: ApiKeyUse[]): Promise<void> {
  // An id that is not a UUID names no key; dropped, it cannot fail the cast and with it every later flush.
  const valid = uses.filter((u) => UUID_RE.test(u.keyId));
  if (valid.length === 0) return;
  const ids = sql.param(valid.map((u) => u.keyId));
  const times = sql.param(valid.map((u) => u.at.toISOString()));
  await db.execute(sql`
    UPDATE api_keys AS k SET last_used_at = greatest(k.last_used_at, v.t)
    FROM unnest(${ids}::uuid[], ${times}::timestamptz[]) AS v(id, t)
    WHERE k.id = v.id AND k.tenant_id = ${tenantId}::uuid`);
}

/**
 * Sets one key's `last_used_at` to now unless it was already set within `resolutionSeconds`: the read path
 * calls it when its copy of the time looked stale, and the condition keeps concurrent requests (or another
 * isolate) from writing the same minute twice.
 * @returns whether the row was written.
 */
export async function touchApiKeyLastUsed(db: Database, keyId: string, resolutionSeconds: number): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE api_keys SET last_used_at = now()
    WHERE id = ${keyId}::uuid
      AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${resolutionSeconds}))`);
  return (result.rowCount ?? 0) > 0;
}
