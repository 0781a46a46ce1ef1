import type { SeriesCell } from '@pulsestream/core/timeseries-fill';
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { levelIs } from '../schema/rollup-levels';

/** Metrics `GET /v1/metrics/timeseries` serves. */
export const TIMESERIES_METRICS = [
  'count',
  'errors',
  'error_rate',
  'latency_avg',
  'latency_p50',
  'latency_p95',
  'latency_p99',
] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

export const TIMESERIES_INTERVALS = ['1m', '5m', '15m', '1h', '1d'] as const;
export type TimeseriesInterval = (typeof TIMESERIES_INTERVALS)[number];

export const TIMESERIES_GROUP_BY = ['source', 'endpoint', 'status', 'country'] as const;
export type TimeseriesGroupBy = (typeof TIMESERIES_GROUP_BY)[number];

/** Bucket width of each interval, in minutes (rollups are per minute). */
export const INTERVAL_MINUTES: Readonly<Record<TimeseriesInterval, number>> = {
  '1m': 1,
  '5m': 5,
  '15m': 15,
  '1h': 60,
  '1d': 1440,
};

const QUANTILE_OF: Partial<Record<TimeseriesMetric, number>> = {
  latency_p50: 0.5,
  latency_p95: 0.95,
  latency_p99: 0.99,
};

/** Quantile a percentile metric asks for, or undefined for the other metrics. */
export function quantileOf(metric: TimeseriesMetric): number | undefined {
  return QUANTILE_OF[metric];
}

export interface TimeseriesQuery {
  tenantId: string;
  /** inclusive, aligned to the interval by the caller */
  from: Date;
  /** exclusive, aligned to the interval by the caller */
  to: Date;
  interval: TimeseriesInterval;
  metric: TimeseriesMetric;
  source?: string | undefined;
  endpoint?: string | undefined;
  groupBy?: TimeseriesGroupBy | undefined;
}

/**
 * One non-empty (bucket, group) cell: the domain's `SeriesCell`, which `fillSeries`-style code in core turns
 * into zero-filled series. Figures a metric does not need are 0 / null.
 */
export type TimeseriesCell = SeriesCell;

// Group expressions are picked from a fixed map, never from input, so sql.raw is safe here.
const ROLLUP_GROUP: Record<TimeseriesGroupBy | 'none', string> = {
  none: "''",
  source: 'source',
  endpoint: 'endpoint',
  status: "CASE WHEN status_class = 0 THEN 'none' ELSE status_class::text || 'xx' END",
  country: 'country',
};

const bucketExpr = (interval: TimeseriesInterval) =>
  sql.raw(`date_bin(interval '${INTERVAL_MINUTES[interval]} minutes', minute, timestamptz '1970-01-01 00:00:00+00')`);

function whereClause(q: TimeseriesQuery, endpointColumn: 'endpoint' | 'dimension'): SQL {
  const parts: SQL[] = [
    sql`tenant_id = ${q.tenantId}`,
    sql`minute >= ${q.from.toISOString()}::timestamptz`,
    sql`minute < ${q.to.toISOString()}::timestamptz`,
  ];
  if (q.source !== undefined) parts.push(sql`source = ${q.source}`);
  if (q.endpoint !== undefined) parts.push(sql`${sql.raw(endpointColumn)} = ${q.endpoint}`);
  return sql.join(parts, sql` AND `);
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const PRECOMPUTED: Partial<Record<TimeseriesMetric, string>> = {
  latency_p50: 'latency_p50',
  latency_p95: 'latency_p95',
  latency_p99: 'latency_p99',
};

// Levels of event_rollups_agg_1m (ROLLUP_LEVELS): the tenant by minute and by hour, source and endpoint by minute.
const TENANT_MINUTES = levelIs('tenant');
const TENANT_HOURS = levelIs('tenant_hour');
const SOURCE_MINUTES = levelIs('source');
const ENDPOINT_MINUTES = levelIs('endpoint');
/**
 * The country and status-class levels, by minute and by hour, with the value in `dimension` (the country, ''
 * when unknown; the status class as text, '0' when the event had no status) and its group expression.
 */
const DIMENSION_LEVELS: Record<'country' | 'status', { minutes: SQL; hours: SQL; group: string }> = {
  country: {
    minutes: levelIs('country'),
    hours: levelIs('country_hour'),
    group: 'dimension',
  },
  status: {
    minutes: levelIs('status'),
    hours: levelIs('status_hour'),
    group: "CASE WHEN dimension = '0' THEN 'none' ELSE dimension || 'xx' END",
  },
};
/** Group expressions at the tenant, source and endpoint levels, whose endpoint is the `dimension` column. */
const LEVEL_GROUP: Record<'none' | 'source' | 'endpoint', string> = {
  none: "''",
  source: 'source',
  endpoint: 'dimension',
};

/**
 * Which rows answer a query: the full rollups (status/country dimensions, endpoint percentiles) or one level
 * of `event_rollups_agg_1m` (tenant hours for unfiltered 1h/1d buckets), with its condition and group.
 */
function sourceOf(
  q: TimeseriesQuery,
): { table: 'event_rollups_1m' } | { table: 'event_rollups_agg_1m'; level: SQL; hourly?: boolean; group?: string } {
  const percentile = quantileOf(q.metric) !== undefined;
  const byEndpoint = q.groupBy === 'endpoint' || q.endpoint !== undefined;
  // Hour-aligned buckets: the range is aligned to the interval, so whole hours.
  const hourly = q.interval === '1h' || q.interval === '1d';
  if (q.groupBy === 'status' || q.groupBy === 'country') {
    // The whole tenant by one dimension has levels of its own; filtered by source or endpoint it does not.
    if (q.source !== undefined || q.endpoint !== undefined) return { table: 'event_rollups_1m' };
    const d = DIMENSION_LEVELS[q.groupBy];
    return { table: 'event_rollups_agg_1m', level: hourly ? d.hours : d.minutes, hourly, group: d.group };
  }
  if (percentile && byEndpoint) return { table: 'event_rollups_1m' };
  // groupBy is none, source or endpoint from here on.
  const group = LEVEL_GROUP[q.groupBy === 'source' || q.groupBy === 'endpoint' ? q.groupBy : 'none'];
  if (byEndpoint) return { table: 'event_rollups_agg_1m', level: ENDPOINT_MINUTES, group };
  if (q.groupBy === 'source' || q.source !== undefined) {
    return { table: 'event_rollups_agg_1m', level: SOURCE_MINUTES, group };
  }
  if (hourly) return { table: 'event_rollups_agg_1m', level: TENANT_HOURS, hourly, group };
  return { table: 'event_rollups_agg_1m', level: TENANT_MINUTES, group };
}

/**
 * Reads the non-empty cells of a timeseries from the minute rollups. The pre-aggregated tenant, source,
 * endpoint, country and status-class levels answer whatever they can (a few thousand rows a day); 1m
 * percentiles there are read precomputed. Percentiles of one endpoint, and status or country within a source
 * or endpoint, read the full rollups. Other percentiles merge the per-minute latency histograms in SQL and
 * return, per cell, the bucket key holding the quantile (DDSketch's rank rule: the first bucket whose
 * cumulative count exceeds q·(n−1)).
 */
export async function queryTimeseries(db: Database, q: TimeseriesQuery): Promise<TimeseriesCell[]> {
  const bucket = bucketExpr(q.interval);
  const quantile = quantileOf(q.metric);
  const from = sourceOf(q);
  const table = sql.raw(from.table);
  const group = sql.raw((from.table === 'event_rollups_agg_1m' && from.group) || ROLLUP_GROUP[q.groupBy ?? 'none']);
  const where =
    from.table === 'event_rollups_1m'
      ? whereClause(q, 'endpoint')
      : sql`${from.level} AND ${whereClause(q, 'dimension')}`;
  if (quantile === undefined) {
    const { rows } = await db.execute<Record<string, unknown>>(sql`
      SELECT (extract(epoch FROM ${bucket}) * 1000)::float8 AS t, ${group} AS g,
             sum(count)::float8 AS count, sum(errors)::float8 AS errors,
             sum(latency_count)::float8 AS latency_count, sum(latency_sum)::float8 AS latency_sum,
             min(latency_min) AS latency_min, max(latency_max) AS latency_max
      FROM ${table}
      WHERE ${where}
      GROUP BY 1, 2`);
    return rows.map(toCell);
  }
  const column = PRECOMPUTED[q.metric];
  if (
    from.table === 'event_rollups_agg_1m' &&
    (q.interval === '1m' || (q.interval === '1h' && from.hourly)) &&
    column
  ) {
    // One row per (bucket, group) at this level: its percentile is already stored.
    const { rows } = await db.execute<Record<string, unknown>>(sql`
      SELECT (extract(epoch FROM minute) * 1000)::float8 AS t, ${group} AS g, latency_count::float8 AS count,
             latency_count::float8 AS latency_count, latency_sum, latency_min, latency_max,
             ${sql.raw(column)} AS quantile_value
      FROM event_rollups_agg_1m
      WHERE ${where} AND latency_count > 0`);
    return rows.map(toCell);
  }
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    WITH b AS (
      SELECT ${bucket} AS t, ${group} AS g, kv.key::int AS k, sum(kv.value::float8) AS c
      FROM ${table} CROSS JOIN LATERAL jsonb_each_text(latency_sketch) AS kv
      WHERE ${where}
      GROUP BY 1, 2, 3
    ), c AS (
      SELECT t, g, k, sum(c) OVER (PARTITION BY t, g ORDER BY k ROWS UNBOUNDED PRECEDING) AS cum,
             sum(c) OVER (PARTITION BY t, g) AS n
      FROM b
    ), qk AS (
      SELECT DISTINCT ON (t, g) t, g, k, n FROM c WHERE cum > ${quantile}::float8 * (n - 1) ORDER BY t, g, k
    ), mm AS (
      SELECT ${bucket} AS t, ${group} AS g, min(latency_min) AS mn, max(latency_max) AS mx,
             sum(latency_sum)::float8 AS s
      FROM ${table}
      WHERE ${where}
      GROUP BY 1, 2
    )
    SELECT (extract(epoch FROM qk.t) * 1000)::float8 AS t, qk.g, qk.n AS count, qk.n AS latency_count,
           mm.s AS latency_sum, mm.mn AS latency_min, mm.mx AS latency_max, qk.k AS quantile_key
    FROM qk JOIN mm ON mm.t = qk.t AND mm.g = qk.g`);
  return rows.map(toCell);
}

/**
 * Maps a row of any of the three timeseries queries, which share their column names; a figure a query does
 * not compute (errors for percentiles, the quantile for counts) reads as 0 / null.
 */
function toCell(r: Record<string, unknown>): TimeseriesCell {
  return {
    t: num(r.t),
    group: String(r.g ?? ''),
    count: num(r.count),
    errors: num(r.errors),
    latencyCount: num(r.latency_count),
    latencySum: num(r.latency_sum),
    latencyMin: numOrNull(r.latency_min),
    latencyMax: numOrNull(r.latency_max),
    quantileKey: numOrNull(r.quantile_key),
    quantileValue: numOrNull(r.quantile_value),
  };
}

export interface SummaryQuery {
  tenantId: string;
  from: Date;
  to: Date;
}

export interface SummaryTotals {
  count: number;
  errors: number;
  /** per (source, endpoint): counts and latency sums, most events first */
  endpoints: {
    source: string;
    endpoint: string;
    count: number;
    errors: number;
    latencyCount: number;
    latencySum: number;
    latencyMin: number | null;
    latencyMax: number | null;
    /** the endpoint's merged latency histogram over the range: bucket key → count */
    latencyBuckets: [number, number][];
  }[];
  /** per (source, endpoint) with errors, most errors first */
  topErrors: { source: string; endpoint: string; errors: number; count: number }[];
  /** merged latency histogram of the range: bucket key → count */
  latencyBuckets: [number, number][];
  latencySum: number;
  latencyMin: number | null;
  latencyMax: number | null;
}

/**
 * Everything `GET /v1/metrics/summary` needs, from the tenant and endpoint levels of `event_rollups_agg_1m`:
 * totals and the merged latency histogram from one row per minute, top endpoints and errors from the
 * endpoint rows.
 */
export async function querySummary(db: Database, q: SummaryQuery, top = 10): Promise<SummaryTotals> {
  const range = sql`tenant_id = ${q.tenantId} AND minute >= ${q.from.toISOString()}::timestamptz
    AND minute < ${q.to.toISOString()}::timestamptz`;
  // Whole hours from the hourly rows, the partial hours at either end from the minute rows.
  const HOUR = 3_600_000;
  const firstHour = Math.ceil(q.from.getTime() / HOUR) * HOUR;
  const lastHour = Math.floor(q.to.getTime() / HOUR) * HOUR;
  const iso = (ms: number) => new Date(ms).toISOString();
  const tenantLevel =
    firstHour < lastHour
      ? sql`tenant_id = ${q.tenantId} AND ((${TENANT_HOURS} AND minute >= ${iso(firstHour)}::timestamptz
          AND minute < ${iso(lastHour)}::timestamptz)
        OR (${TENANT_MINUTES} AND ((minute >= ${q.from.toISOString()}::timestamptz AND minute < ${iso(firstHour)}::timestamptz)
          OR (minute >= ${iso(lastHour)}::timestamptz AND minute < ${q.to.toISOString()}::timestamptz))))`
      : sql`${TENANT_MINUTES} AND ${range}`;
  const endpointLevel = sql`${ENDPOINT_MINUTES} AND ${range}`;
  const [totals, endpoints, errorRows, buckets] = await Promise.all([
    db.execute<Record<string, unknown>>(sql`
      SELECT sum(count)::float8 AS count, sum(errors)::float8 AS errors, sum(latency_sum)::float8 AS s,
             min(latency_min) AS mn, max(latency_max) AS mx
      FROM event_rollups_agg_1m WHERE ${tenantLevel}`),
    db.execute<Record<string, unknown>>(sql`
      SELECT source, dimension AS endpoint, sum(count)::float8 AS count, sum(errors)::float8 AS errors,
             sum(latency_count)::float8 AS latency_count, sum(latency_sum)::float8 AS latency_sum
      FROM event_rollups_agg_1m WHERE ${endpointLevel}
      GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ${top}`),
    db.execute<Record<string, unknown>>(sql`
      SELECT source, dimension AS endpoint, sum(errors)::float8 AS errors, sum(count)::float8 AS count
      FROM event_rollups_agg_1m WHERE ${endpointLevel} AND errors > 0
      GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ${top}`),
    db.execute<Record<string, unknown>>(sql`
      SELECT kv.key::int AS k, sum(kv.value::float8) AS c
      FROM event_rollups_agg_1m CROSS JOIN LATERAL jsonb_each_text(latency_sketch) AS kv
      WHERE ${tenantLevel}
      GROUP BY 1`),
  ]);
  // The top endpoints' own histograms (their percentiles): the endpoint level above keeps counts only, so these
  // merge the full minute rollups, for the top endpoints alone.
  const sources = endpoints.rows.map((r) => String(r.source));
  const endpointNames = endpoints.rows.map((r) => String(r.endpoint));
  const topOnly = sql`tenant_id = ${q.tenantId} AND minute >= ${q.from.toISOString()}::timestamptz
    AND minute < ${q.to.toISOString()}::timestamptz AND (source, endpoint) IN (
      SELECT * FROM unnest(${sql.param(sources)}::text[], ${sql.param(endpointNames)}::text[]))`;
  const [endpointBuckets, endpointBounds] =
    sources.length === 0
      ? [{ rows: [] as Record<string, unknown>[] }, { rows: [] as Record<string, unknown>[] }]
      : await Promise.all([
          db.execute<Record<string, unknown>>(sql`
            SELECT source, endpoint, kv.key::int AS k, sum(kv.value::float8) AS c
            FROM event_rollups_1m CROSS JOIN LATERAL jsonb_each_text(latency_sketch) AS kv
            WHERE ${topOnly}
            GROUP BY 1, 2, 3`),
          db.execute<Record<string, unknown>>(sql`
            SELECT source, endpoint, min(latency_min) AS mn, max(latency_max) AS mx
            FROM event_rollups_1m WHERE ${topOnly}
            GROUP BY 1, 2`),
        ]);
  const endpointKey = (r: Record<string, unknown>) => JSON.stringify([String(r.source), String(r.endpoint)]);
  const bucketsOf = new Map<string, [number, number][]>();
  for (const r of endpointBuckets.rows) {
    const list = bucketsOf.get(endpointKey(r)) ?? [];
    if (list.length === 0) bucketsOf.set(endpointKey(r), list);
    list.push([num(r.k), num(r.c)]);
  }
  const boundsOf = new Map(endpointBounds.rows.map((r) => [endpointKey(r), r]));
  const t = totals.rows[0] ?? {};
  return {
    count: num(t.count),
    errors: num(t.errors),
    endpoints: endpoints.rows.map((r) => ({
      source: String(r.source),
      endpoint: String(r.endpoint),
      count: num(r.count),
      errors: num(r.errors),
      latencyCount: num(r.latency_count),
      latencySum: num(r.latency_sum),
      latencyMin: numOrNull(boundsOf.get(endpointKey(r))?.mn),
      latencyMax: numOrNull(boundsOf.get(endpointKey(r))?.mx),
      latencyBuckets: bucketsOf.get(endpointKey(r)) ?? [],
    })),
    topErrors: errorRows.rows.map((r) => ({
      source: String(r.source),
      endpoint: String(r.endpoint),
      errors: num(r.errors),
      count: num(r.count),
    })),
    latencyBuckets: buckets.rows.map((r) => [num(r.k), num(r.c)]),
    latencySum: num(t.s),
    latencyMin: numOrNull(t.mn),
    latencyMax: numOrNull(t.mx),
  };
}
