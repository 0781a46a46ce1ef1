import { sql } from 'drizzle-orm';
import { boolean, check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns';
import { tenants } from './tenants';

/**
 * A recurring report: a cron expression read in `timezone`, a format, a relative range and the channels to
 * tell when a run is ready. `next_run_at` is the claim marker: the cron enqueues a schedule by moving it
 * forward with a compare-and-set, so two overlapping cron invocations claim each due run once.
 * `channel_ids` are the alerting channels' ids; no foreign key, because channels live in another table whose
 * rows can be deleted independently (a deleted channel is skipped at delivery).
 */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: idColumn(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name'),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    format: text('format').notNull(),
    range: text('range').notNull(),
    filter: jsonb('filter').notNull().default({}),
    channelIds: uuid('channel_ids').array().notNull().default(sql`'{}'::uuid[]`),
    enabled: boolean('enabled').notNull().default(true),
    nextRunAt: tstz('next_run_at'),
    lastRunAt: tstz('last_run_at'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('report_schedules_tenant_idx').on(t.tenantId, t.createdAt),
    index('report_schedules_due_idx').on(t.nextRunAt).where(sql`${t.enabled}`),
    check('report_schedules_format_check', sql`${t.format} IN ('csv', 'parquet')`),
    check('report_schedules_range_check', sql`${t.range} IN ('last_1h', 'last_24h', 'last_7d')`),
  ],
);

export type ReportScheduleRow = typeof reportSchedules.$inferSelect;
