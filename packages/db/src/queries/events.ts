import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import { numberArrayLiteral, textArrayLiteral } from '../pg-array';
import { dimensionValue, levelHasSketch, levelLiteral, ROLLUP_LEVELS } from '../schema/rollup-levels';

/** One event as the pipeline stores it (already validated and enriched at the edge). */
export interface EventInsert {
  tenantId: string;
  id: string;
  /** event time, epoch ms */
  timestamp: number;
  /** edge receive time, epoch ms */
  receivedAt: number;
  type: string;
  source: string;
  endpoint: string | null;
  method: string | null;
  status: number | null;
  latencyMs: number | null;
  country?: string | null;
  region?: string | null;
  city?: string | null;
  colo?: string | null;
  asn?: number | null;
  properties: Record<string, unknown> | null;
}

export interface InsertEventsResult {
  /** `tenantId:id` of the rows this call actually inserted (duplicates are absent). */
  inserted: { tenantId: string; id: string }[];
}

/**
 * Epoch milliseconds as the whole milliseconds a `Date` holds, checked as `toISOString` would check them: a
 * value no `Date` can hold (a malformed, redriven message) throws the same RangeError, which the isolating
 * insert treats as that row's own fault.
 */
function epochMs(ms: number): number {
  const t = new Date(ms).getTime();
  if (Number.isNaN(t)) throw new RangeError('Invalid time value');
  return t;
}

/**
 * The batch as bind parameters, in the fewest bytes the server parses cheaply: one parameter per column;
 * the tenant as a single value when the batch has one (the consumer groups batches by tenant); times as
 * epoch milliseconds (`to_timestamp(ms / 1000)` is exact to the microsecond for every millisecond up to
 * year 2096 and beyond, and skips formatting and parsing ISO text); the properties as ONE JSON array that
 * the server splits (`jsonb_array_elements`), instead of 10,000 JSON texts each escaped into an array literal
 * and cast one by one. The stored values are the same as from ISO text and per-row `::jsonb` casts.
 */
function inputRows(rows: EventInsert[]) {
  // One bind parameter per column, as an array literal built here (pg-array.ts: a third of the driver's cost).
  const col = (pick: (r: EventInsert) => string | null) => sql.param(textArrayLiteral(rows.map(pick)));
  const num = (pick: (r: EventInsert) => number | null) => sql.param(numberArrayLiteral(rows.map(pick)));
  const tenant = rows[0]?.tenantId;
  const oneTenant = rows.every((r) => r.tenantId === tenant);
  const properties = sql.param(JSON.stringify(rows.map((r) => r.properties)));
  return sql`
      SELECT ${oneTenant ? sql`${tenant}::uuid` : sql`t.tenant_id`} AS tenant_id, t.id,
             to_timestamp(t.ts / 1000) AS ts, to_timestamp(t.received_at / 1000) AS received_at,
             t.type, t.source, t.endpoint, t.method, t.status, t.latency_ms, t.country, t.region, t.city, t.colo,
             t.asn, nullif(t.properties, 'null'::jsonb) AS properties
      FROM ROWS FROM (
        ${oneTenant ? sql`` : sql`unnest(${col((r) => r.tenantId)}::uuid[]),`} unnest(${col((r) => r.id)}::text[]),
        unnest(${num((r) => epochMs(r.timestamp))}::float8[]), unnest(${num((r) => epochMs(r.receivedAt))}::float8[]),
        unnest(${col((r) => r.type)}::text[]), unnest(${col((r) => r.source)}::text[]),
        unnest(${col((r) => r.endpoint)}::text[]), unnest(${col((r) => r.method)}::text[]),
        unnest(${num((r) => r.status)}::int[]), unnest(${num((r) => r.latencyMs)}::float8[]),
        unnest(${col((r) => r.country ?? null)}::text[]), unnest(${col((r) => r.region ?? null)}::text[]),
        unnest(${col((r) => r.city ?? null)}::text[]), unnest(${col((r) => r.colo ?? null)}::text[]),
        unnest(${num((r) => r.asn ?? null)}::int[]), jsonb_array_elements(${properties}::jsonb)
      ) AS t(${oneTenant ? sql`` : sql`tenant_id,`} id, ts, received_at, type, source, endpoint, method, status, latency_ms,
             country, region, city, colo, asn, properties)`;
}

// The rollup levels as GROUPING SETS over the per-bucket rows, derived from ROLLUP_LEVELS (names and columns
// come from that fixed table, never from input, so sql.raw is safe). Each level groups by the tenant, its
// grain (minute or hour), the source if it does, its dimension if it has one, and the latency bucket k if it
// keeps a sketch (a level without one, the endpoint level, needs no row per bucket: a third fewer groups).
const GROUPED = ['minute', 'hour', 'source', 'endpoint', 'country', 'status_class'] as const;
const levelColumns = (l: (typeof ROLLUP_LEVELS)[number]): string[] => [
  l.grain,
  ...(l.bySource ? ['source'] : []),
  ...(l.dimension ? [l.dimension] : []),
];
const LEVEL_GROUPING_SETS = sql.raw(
  ROLLUP_LEVELS.map((l) => `(${['tenant_id', ...levelColumns(l), ...(l.sketch ? ['k'] : [])].join(', ')})`).join(', '),
);
/**
 * Which level a grouping set is: `grouping(minute, hour, …)` is a bit mask (1 = not grouped by that column),
 * distinct for each level.
 */
const LEVEL_OF_GROUPING_SET = sql`CASE grouping(${sql.raw(GROUPED.join(', '))}) ${sql.join(
  ROLLUP_LEVELS.map((l) => {
    const cols = levelColumns(l) as string[];
    const mask = GROUPED.reduce((m, c, i) => (cols.includes(c) ? m : m | (1 << (GROUPED.length - 1 - i))), 0);
    return sql`WHEN ${sql.raw(String(mask))} THEN ${levelLiteral(l.level)}`;
  }),
  sql` `,
)} END`;
/** A level's dimension value: the one dimension column its grouping set keeps (the others are NULL there). */
const DIMENSION_OF_GROUPING_SET = sql.raw(
  `coalesce(${[...new Set(ROLLUP_LEVELS.flatMap((l) => (l.dimension ? [dimensionValue(l.dimension)] : [])))].join(', ')}, '')`,
);

/**
 * Writes a batch in one set-based statement: `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`, and,
 * in the same statement (hence the same transaction), upserts the minute rollups from the rows that were
 * actually inserted. Redelivering a batch therefore inserts nothing and counts nothing: exactly-once effect.
 * The rollups carry a sparse DDSketch histogram of latencies, and `event_rollups_agg_1m` the same figures at
 * every level of `ROLLUP_LEVELS`, so percentiles over any range merge per-minute data, never events.
 */
export async function insertEvents(db: Database, rows: EventInsert[]): Promise<InsertEventsResult> {
  if (rows.length === 0) return { inserted: [] };
  const result = await db.execute<{ n: number; ids: string[] | null }>(sql`
    WITH input AS (${inputRows(rows)}
    ), ins AS (
      INSERT INTO events (tenant_id, id, ts, received_at, type, source, endpoint, method, status, latency_ms,
                          country, region, city, colo, asn, properties)
      SELECT tenant_id, id, ts, received_at, type, source, endpoint, method, status, latency_ms,
             country, region, city, colo, asn, properties::jsonb
      FROM input
      ON CONFLICT DO NOTHING
      RETURNING tenant_id, id, ts, type, source, endpoint, status, latency_ms, country
    ), buckets AS (
      -- One row per rollup key and latency bucket: the counts that become each rollup's sparse sketch.
      SELECT tenant_id, date_trunc('minute', ts) AS minute, source, coalesce(endpoint, '') AS endpoint,
             coalesce(status / 100, 0)::smallint AS status_class, coalesce(country, '') AS country,
             CASE WHEN latency_ms >= 0 THEN ps_sketch_key(latency_ms) END AS k,
             count(*) AS n, count(*) FILTER (WHERE type = 'error' OR status >= 500) AS errors,
             count(latency_ms) AS latency_count, coalesce(sum(latency_ms), 0) AS latency_sum,
             min(latency_ms) AS latency_min, max(latency_ms) AS latency_max
      FROM ins
      GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), rollup AS (
      INSERT INTO event_rollups_1m AS r (tenant_id, minute, source, endpoint, status_class, country, count, errors,
                                         latency_count, latency_sum, latency_min, latency_max, latency_sketch)
      SELECT tenant_id, minute, source, endpoint, status_class, country, sum(n), sum(errors),
             sum(latency_count), sum(latency_sum), min(latency_min), max(latency_max),
             coalesce(jsonb_object_agg(k, latency_count) FILTER (WHERE k IS NOT NULL), '{}'::jsonb)
      FROM buckets
      GROUP BY 1, 2, 3, 4, 5, 6
      -- Rows in key order, so concurrent writers for one tenant lock shared rollup rows in the same order
      -- (unordered, two batches upserting the same minutes deadlock and one is retried).
      ORDER BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (tenant_id, minute, source, endpoint, status_class, country) DO UPDATE SET
        count = r.count + excluded.count,
        errors = r.errors + excluded.errors,
        latency_count = r.latency_count + excluded.latency_count,
        latency_sum = r.latency_sum + excluded.latency_sum,
        latency_min = least(r.latency_min, excluded.latency_min),
        latency_max = greatest(r.latency_max, excluded.latency_max),
        latency_sketch = ps_sketch_merge(r.latency_sketch, excluded.latency_sketch)
    ), agg AS (
      -- The same rows at every level of event_rollups_agg_1m (ROLLUP_LEVELS: tenant, source and endpoint by
      -- minute, the tenant by hour, country and status class by minute and by hour), with sketches except at
      -- the levels without; its trigger refreshes the percentiles from the merged sketch.
      INSERT INTO event_rollups_agg_1m AS a (tenant_id, level, source, dimension, minute, count, errors,
                                             latency_count, latency_sum, latency_min, latency_max, latency_sketch)
      SELECT tenant_id, level, source, dimension, minute, sum(n), sum(errors), sum(latency_count),
             sum(latency_sum), min(latency_min), max(latency_max),
             CASE WHEN ${levelHasSketch()}
                  THEN coalesce(jsonb_object_agg(k, latency_count) FILTER (WHERE k IS NOT NULL), '{}'::jsonb)
                  ELSE '{}'::jsonb END
      FROM (
        SELECT tenant_id, ${LEVEL_OF_GROUPING_SET} AS level, coalesce(minute, hour) AS minute,
               coalesce(source, '') AS source, ${DIMENSION_OF_GROUPING_SET} AS dimension, k,
               sum(n) AS n, sum(errors) AS errors, sum(latency_count) AS latency_count,
               sum(latency_sum) AS latency_sum, min(latency_min) AS latency_min, max(latency_max) AS latency_max
        FROM (SELECT *, date_trunc('hour', minute) AS hour FROM buckets) b
        GROUP BY GROUPING SETS (${LEVEL_GROUPING_SETS})
      ) levels
      GROUP BY tenant_id, level, source, dimension, minute
      ORDER BY tenant_id, level, source, dimension, minute
      ON CONFLICT (tenant_id, level, source, dimension, minute) DO UPDATE SET
        count = a.count + excluded.count,
        errors = a.errors + excluded.errors,
        latency_count = a.latency_count + excluded.latency_count,
        latency_sum = a.latency_sum + excluded.latency_sum,
        latency_min = least(a.latency_min, excluded.latency_min),
        latency_max = greatest(a.latency_max, excluded.latency_max),
        latency_sketch = CASE WHEN ${levelHasSketch('excluded.level')}
                              THEN ps_sketch_merge(a.latency_sketch, excluded.latency_sketch)
                              ELSE '{}'::jsonb END
    )
    -- Which rows went in, without shipping every id back: when all did (the common case), the count says so;
    -- only a redelivery or an in-batch duplicate makes the ids come back, as one array.
    -- The ids are a subquery (an InitPlan, evaluated only when the CASE reaches it), so the common case pays
    -- for no array of 10,000 strings.
    SELECT count(*)::int AS n,
           CASE WHEN count(*) < ${rows.length}::int
                THEN (SELECT array_agg(tenant_id::text || ' ' || id) FROM ins) END AS ids
    FROM ins`);
  const summary = result.rows[0];
  if (summary && summary.n === rows.length) {
    // Every row was inserted, so the input holds no duplicate: its keys are the inserted set.
    return { inserted: rows.map((r) => ({ tenantId: r.tenantId, id: r.id })) };
  }
  return {
    inserted: (summary?.ids ?? []).map((key) => {
      const space = key.indexOf(' ');
      return { tenantId: key.slice(0, space), id: key.slice(space + 1) };
    }),
  };
}
