import { sql } from 'drizzle-orm';
import type { Database } from '../client';

/** Minute rollups outlive the raw events: they serve long-range charts and usage history. */
export const ROLLUP_RETENTION_MONTHS = 13;
/**
 * Retentions are read as at most this many days (about 2,700 years, i.e. forever): `now - interval` of a longer
 * one (an "unlimited" plan stored as 2^31 - 1) is out of timestamptz's range, and the one statement that serves
 * every tenant would fail with it.
 */
export const MAX_RETENTION_DAYS = 1_000_000;

/** True when `events` is a TimescaleDB hypertable (the migration makes it one where the extension exists). */
export async function isEventsHypertable(db: Database): Promise<boolean> {
  const ext = await db.execute<{ present: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS present`,
  );
  if (!ext.rows[0]?.present) return false;
  const ht = await db.execute<{ present: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'events') AS present`);
  return ht.rows[0]?.present === true;
}

export interface RetentionResult {
  /** Chunks dropped with `drop_chunks` (hypertable only). */
  droppedChunks: number;
  /** Event rows deleted by time, per tenant retention. */
  deletedEvents: number;
  /** Rollup rows older than {@link ROLLUP_RETENTION_MONTHS} months deleted. */
  deletedRollups: number;
}

/**
 * Applies retention as of `now`. On a hypertable, whole chunks older than the longest retention of any
 * tenant are dropped first (cheap, no row-by-row delete); then, on either kind of table, each tenant's
 * events older than its own `retention_days` are deleted in one set-based statement. Deletes run in
 * slices of `sliceRows` so one run never holds a huge transaction.
 */
export async function applyRetention(db: Database, now: Date, sliceRows = 50_000): Promise<RetentionResult> {
  const result: RetentionResult = { droppedChunks: 0, deletedEvents: 0, deletedRollups: 0 };
  if (await isEventsHypertable(db)) {
    const dropped = await db.execute<{ chunk: string }>(sql`
      SELECT drop_chunks('events', older_than => ${now.toISOString()}::timestamptz
        - make_interval(days => (SELECT coalesce(max(least(retention_days, ${MAX_RETENTION_DAYS})), 30) FROM tenants)))
        AS chunk`);
    result.droppedChunks = dropped.rows.length;
  }
  for (;;) {
    const deleted = await db.execute<{ n: string }>(sql`
      WITH doomed AS (
        SELECT e.tenant_id, e.id, e.ts FROM events e JOIN tenants t ON t.id = e.tenant_id
        WHERE e.ts < ${now.toISOString()}::timestamptz - make_interval(days => least(t.retention_days, ${MAX_RETENTION_DAYS}))
        LIMIT ${sliceRows}
      ), gone AS (
        -- By key, not ctid: on a hypertable ctids repeat across chunks.
        DELETE FROM events e USING doomed d
        WHERE e.tenant_id = d.tenant_id AND e.id = d.id AND e.ts = d.ts
        RETURNING 1
      )
      SELECT count(*)::text AS n FROM gone`);
    const n = Number(deleted.rows[0]?.n ?? 0);
    result.deletedEvents += n;
    if (n < sliceRows) break;
  }
  // Both rollup tables: the per-combination minutes and the pre-aggregated tenant/source/endpoint levels.
  const rollups = await db.execute<{ n: string }>(sql`
    WITH cutoff AS (
      SELECT ${now.toISOString()}::timestamptz - make_interval(months => ${ROLLUP_RETENTION_MONTHS}) AS t
    ), gone AS (
      DELETE FROM event_rollups_1m WHERE minute < (SELECT t FROM cutoff) RETURNING 1
    ), gone_levels AS (
      DELETE FROM event_rollups_agg_1m WHERE minute < (SELECT t FROM cutoff) RETURNING 1
    ) SELECT ((SELECT count(*) FROM gone) + (SELECT count(*) FROM gone_levels))::text AS n`);
  result.deletedRollups = Number(rollups.rows[0]?.n ?? 0);
  return result;
}
