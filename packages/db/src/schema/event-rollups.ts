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
 * The same latency histograms at a coarser key (tenant, minute, source). Percentile queries without an
 * endpoint/status/country filter or grouping (dashboards' default, the summary) read this table: a day is
 * 1,440 rows per source instead of one row per endpoint × status class × country per minute, which is what
 * keeps a 24 h p95 within its latency budget. Written in the same statement as the rollups.
 */
export const eventLatency1m = pgTable(
  'event_latency_1m',
  {
    tenantId: uuid('tenant_id').notNull(),
    minute: tstz('minute').notNull(),
    source: text('source').notNull(),
    latencyCount: bigint('latency_count', { mode: 'number' }).notNull(),
    latencySum: doublePrecision('latency_sum').notNull(),
    latencyMin: doublePrecision('latency_min'),
    latencyMax: doublePrecision('latency_max'),
    latencySketch: jsonb('latency_sketch').$type<LatencySketchBuckets>().notNull().default({}),
  },
  (t) => [primaryKey({ name: 'event_latency_1m_pkey', columns: [t.tenantId, t.minute, t.source] })],
);
