import { bigint, doublePrecision, jsonb, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns';

/**
 * A sparse latency histogram in DDSketch bucket space (relative accuracy 1 %): bucket key → count, keys as
 * JSON object keys. Keys are `ceil(ln(v) / ln(gamma))` with gamma = 1.01 / 0.99, exactly core's DDSketch
 * mapping, so per-minute rows merge (by adding counts, SQL function `ps_sketch_merge`) into any window and
 * TypeScript rebuilds a DDSketch from the sum. Values ≤ 1e-9 ms go to the zero bucket key `-1000000`.
 */
export type LatencySketchBuckets = Record<string, number>;

/**
 * Per-minute rollups, written in the same transaction as the events they count, from the rows that were
 * actually inserted. Missing endpoint/country are stored as '' so they can be part of the key.
 */
export const eventRollups1m = pgTable(
  'event_rollups_1m',
  {
    tenantId: uuid('tenant_id').notNull(),
    minute: tstz('minute').notNull(),
    source: text('source').notNull(),
    endpoint: text('endpoint').notNull().default(''),
    statusClass: smallint('status_class').notNull(),
    country: text('country').notNull().default(''),
    count: bigint('count', { mode: 'number' }).notNull(),
    errors: bigint('errors', { mode: 'number' }).notNull(),
    latencyCount: bigint('latency_count', { mode: 'number' }).notNull(),
    latencySum: doublePrecision('latency_sum').notNull(),
    latencyMin: doublePrecision('latency_min'),
    latencyMax: doublePrecision('latency_max'),
    /** Mergeable latency histogram of this row's events (see {@link LatencySketchBuckets}). */
    latencySketch: jsonb('latency_sketch').$type<LatencySketchBuckets>().notNull().default({}),
  },
  (t) => [
    primaryKey({
      name: 'event_rollups_1m_pkey',
      columns: [t.tenantId, t.minute, t.source, t.endpoint, t.statusClass, t.country],
    }),
  ],
);

/**
 * Key value meaning "all" in {@link eventRollupsAgg1m}'s source and endpoint columns: a control character,
 * which event validation refuses in sources and endpoints, so no real value can collide with it.
 */
export const ROLLUP_ALL = '\u0001';
/** Source value of the tenant's hourly rows in {@link eventRollupsAgg1m}. */
export const ROLLUP_HOUR = '\u0001h';

/**
 * Pre-aggregated minute rollups at three coarser levels, so the common queries read a few thousand narrow
 * rows a day instead of one row per endpoint × status class × country per minute:
 * - (source ALL, endpoint ALL): the tenant's minute, with a latency sketch and its p50/p95/p99;
 * - (source HOUR, endpoint ALL): the tenant's hour (minute = the hour's start), with sketch and percentiles;
 * - (source, endpoint ALL): one source's minute, with sketch and percentiles;
 * - (source, endpoint): counts only (sketch '{}', percentiles null), for top endpoints and endpoint filters.
 * p50/p95/p99 are computed from the merged sketch by a trigger on every write (DDSketch rank rule), so a 1m
 * series reads them directly; longer buckets merge the sketches. The key starts with (source, endpoint) so
 * each level of a tenant is one contiguous index range over time. Written in the same statement as the
 * rollups.
 */
export const eventRollupsAgg1m = pgTable(
  'event_rollups_agg_1m',
  {
    tenantId: uuid('tenant_id').notNull(),
    source: text('source').notNull(),
    endpoint: text('endpoint').notNull(),
    minute: tstz('minute').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    errors: bigint('errors', { mode: 'number' }).notNull(),
    latencyCount: bigint('latency_count', { mode: 'number' }).notNull(),
    latencySum: doublePrecision('latency_sum').notNull(),
    latencyMin: doublePrecision('latency_min'),
    latencyMax: doublePrecision('latency_max'),
    latencySketch: jsonb('latency_sketch').$type<LatencySketchBuckets>().notNull().default({}),
    latencyP50: doublePrecision('latency_p50'),
    latencyP95: doublePrecision('latency_p95'),
    latencyP99: doublePrecision('latency_p99'),
  },
  (t) => [primaryKey({ name: 'event_rollups_agg_1m_pkey', columns: [t.tenantId, t.source, t.endpoint, t.minute] })],
);
