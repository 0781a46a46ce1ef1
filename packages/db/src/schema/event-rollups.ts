import { bigint, doublePrecision, jsonb, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns';
import { ROLLUP_LEVELS, rollupLevelEnum } from './rollup-levels';

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
 * Pre-aggregated minute rollups at coarser levels, so the common queries read a few thousand narrow rows a
 * day instead of one row per endpoint × status class × country per minute. Which levels exist, what each
 * groups by (`source`, `dimension`) and at which grain is {@link ROLLUP_LEVELS}, the one table of levels;
 * a row's level is its `level` column. p50/p95/p99 are computed from the merged sketch by a trigger on every
 * write (DDSketch rank rule), so a 1m series reads them directly; longer buckets merge the sketches. The key
 * starts with (tenant, level, source, dimension) so each level of a tenant is one contiguous index range
 * over time. Written in the same statement as the rollups.
 */
export const eventRollupsAgg1m = pgTable(
  'event_rollups_agg_1m',
  {
    tenantId: uuid('tenant_id').notNull(),
    level: rollupLevelEnum('level').notNull(),
    /** The source at levels that group by source, '' at the others. */
    source: text('source').notNull(),
    /** The value of the level's dimension (endpoint, country or status class), '' when it has none. */
    dimension: text('dimension').notNull(),
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
  (t) => [
    primaryKey({
      name: 'event_rollups_agg_1m_pkey',
      columns: [t.tenantId, t.level, t.source, t.dimension, t.minute],
    }),
  ],
);
