import { bigint, doublePrecision, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns';

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
  },
  (t) => [
    primaryKey({
      name: 'event_rollups_1m_pkey',
      columns: [t.tenantId, t.minute, t.source, t.endpoint, t.statusClass, t.country],
    }),
  ],
);
