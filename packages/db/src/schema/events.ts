import { doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns';

/**
 * The time series. Unique on (tenant, id) so a redelivered event is stored once. On TimescaleDB the
 * migration turns it into a hypertable on `ts` (and widens the key with `ts`, which hypertables require);
 * on plain Postgres a BRIN index on `ts` serves time-range scans and retention deletes.
 * No foreign key to tenants: the hot insert path should not pay for it, and tenant deletion purges
 * events explicitly.
 */
export const events = pgTable(
  'events',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: text('id').notNull(),
    ts: tstz('ts').notNull(),
    receivedAt: tstz('received_at').notNull(),
    type: text('type').notNull(),
    source: text('source').notNull(),
    endpoint: text('endpoint'),
    method: text('method'),
    status: integer('status'),
    latencyMs: doublePrecision('latency_ms'),
    country: text('country'),
    region: text('region'),
    city: text('city'),
    colo: text('colo'),
    asn: integer('asn'),
    properties: jsonb('properties'),
  },
  (t) => [
    primaryKey({ name: 'events_pkey', columns: [t.tenantId, t.id] }),
    index('events_tenant_ts_idx').on(t.tenantId, t.ts.desc(), t.id.desc()),
  ],
);

export type EventRow = typeof events.$inferSelect;
