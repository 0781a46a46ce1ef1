import { bigint, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns';

/** A tenant is the isolation boundary: every other row hangs off one. */
export const tenants = pgTable('tenants', {
  id: idColumn(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  plan: text('plan').notNull().default('free'),
  retentionDays: integer('retention_days').notNull().default(30),
  monthlyEventQuota: bigint('monthly_event_quota', { mode: 'number' }).notNull().default(10_000_000),
  rateLimitPerSec: integer('rate_limit_per_sec').notNull().default(1000),
  rateLimitBurst: integer('rate_limit_burst').notNull().default(5000),
  createdAt: createdAt(),
  deletedAt: tstz('deleted_at'),
});

export type Tenant = typeof tenants.$inferSelect;
