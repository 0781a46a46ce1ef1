import { bigint, date, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';

/** Per-tenant, per-day ingestion accounting served at `GET /v1/usage`. */
export const usageDaily = pgTable(
  'usage_daily',
  {
    tenantId: uuid('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    accepted: bigint('accepted', { mode: 'number' }).notNull().default(0),
    rejected: bigint('rejected', { mode: 'number' }).notNull().default(0),
    rateLimited: bigint('rate_limited', { mode: 'number' }).notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ name: 'usage_daily_pkey', columns: [t.tenantId, t.day] })],
);
