import type { ReportFormat, ScheduleRange } from '@pulsestream/core/reports';
import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import type { ReportFilter } from './reports';

/** A report schedule as the API returns it. */
export interface ReportSchedule {
  id: string;
  tenantId: string;
  name: string | null;
  cron: string;
  timezone: string;
  format: ReportFormat;
  range: ScheduleRange;
  filter: ReportFilter;
  channelIds: string[];
  enabled: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
}

const COLUMNS = sql.raw(
  'id, tenant_id, name, cron, timezone, format, range, filter, channel_ids, enabled, next_run_at, last_run_at, created_at',
);

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string | Date));

function toSchedule(r: Record<string, unknown>): ReportSchedule {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    name: (r.name as string | null) ?? null,
    cron: String(r.cron),
    timezone: String(r.timezone),
    format: r.format as ReportFormat,
    range: r.range as ScheduleRange,
    filter: (r.filter as ReportFilter | null) ?? {},
    channelIds: parseUuidArray(r.channel_ids),
    enabled: Boolean(r.enabled),
    nextRunAt: toDate(r.next_run_at),
    lastRunAt: toDate(r.last_run_at),
    createdAt: toDate(r.created_at) as Date,
  };
}

// The driver returns uuid[] as a JS array, or as its text form `{a,b}` where it has no parser for the type.
function parseUuidArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') {
    const inner = v.replace(/^\{|\}$/g, '');
    return inner === '' ? [] : inner.split(',');
  }
  return [];
}

/** Creates a schedule; `nextRunAt` is its first due minute (null for a schedule that never fires). */
export async function createReportSchedule(
  db: Database,
  s: {
    tenantId: string;
    name: string | null;
    cron: string;
    timezone: string;
    format: ReportFormat;
    range: ScheduleRange;
    filter: ReportFilter;
    channelIds: string[];
    enabled: boolean;
    nextRunAt: Date | null;
    createdBy: string | null;
  },
): Promise<ReportSchedule> {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    INSERT INTO report_schedules (tenant_id, name, cron, timezone, format, range, filter, channel_ids, enabled,
                                  next_run_at, created_by)
    VALUES (${s.tenantId}, ${s.name}, ${s.cron}, ${s.timezone}, ${s.format}, ${s.range},
            ${JSON.stringify(s.filter)}::jsonb, ${sql.param(s.channelIds)}::uuid[], ${s.enabled},
            ${s.nextRunAt?.toISOString() ?? null}::timestamptz, ${s.createdBy})
    RETURNING ${COLUMNS}`);
  return toSchedule(rows[0] as Record<string, unknown>);
}

/** The tenant's schedules, newest first. */
export async function listReportSchedules(db: Database, tenantId: string): Promise<ReportSchedule[]> {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT ${COLUMNS} FROM report_schedules WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, id DESC`);
  return rows.map(toSchedule);
}

/** One of the tenant's schedules, or null (also for another tenant's id). */
export async function getReportSchedule(db: Database, tenantId: string, id: string): Promise<ReportSchedule | null> {
  const { rows } = await db.execute<Record<string, unknown>>(
    sql`SELECT ${COLUMNS} FROM report_schedules WHERE tenant_id = ${tenantId} AND id = ${id}`,
  );
  return rows[0] ? toSchedule(rows[0]) : null;
}

/** A schedule by id alone, for the consumer (which has the tenant from the report row). */
export async function getReportScheduleById(db: Database, id: string): Promise<ReportSchedule | null> {
  const { rows } = await db.execute<Record<string, unknown>>(
    sql`SELECT ${COLUMNS} FROM report_schedules WHERE id = ${id}`,
  );
  return rows[0] ? toSchedule(rows[0]) : null;
}

/** Deletes one of the tenant's schedules; false when there is none (also for another tenant's id). */
export async function deleteReportSchedule(db: Database, tenantId: string, id: string): Promise<boolean> {
  const { rows } = await db.execute(
    sql`DELETE FROM report_schedules WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`,
  );
  return rows.length > 0;
}

/** Enabled schedules due at `now` (their `next_run_at` has passed), oldest due first. */
export async function dueReportSchedules(db: Database, now: Date, limit: number): Promise<ReportSchedule[]> {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT ${COLUMNS} FROM report_schedules
    WHERE enabled AND next_run_at <= ${now.toISOString()}::timestamptz
    ORDER BY next_run_at LIMIT ${limit}`);
  return rows.map(toSchedule);
}

/**
 * Claims one due run of a schedule and records its report, in one statement. The claim is a compare-and-set
 * on `next_run_at`: of two cron invocations that saw the same due schedule, the second's UPDATE waits for the
 * first's row lock, re-reads the row, finds `next_run_at` moved, and claims nothing. The report's unique
 * (schedule, due minute) key is the second line of defence. Returns the new report's id, or null when
 * another invocation claimed the run.
 */
export async function claimScheduledRun(
  db: Database,
  c: { scheduleId: string; dueAt: Date; nextRunAt: Date | null; from: Date; to: Date },
): Promise<{ reportId: string; tenantId: string } | null> {
  const due = c.dueAt.toISOString();
  const { rows } = await db.execute<{ id: string; tenant_id: string }>(sql`
    WITH claimed AS (
      UPDATE report_schedules
      SET next_run_at = ${c.nextRunAt?.toISOString() ?? null}::timestamptz, last_run_at = ${due}::timestamptz
      WHERE id = ${c.scheduleId} AND enabled AND next_run_at = ${due}::timestamptz
      RETURNING id, tenant_id, format, filter
    )
    INSERT INTO reports (tenant_id, schedule_id, scheduled_for, format, range_from, range_to, filter)
    SELECT tenant_id, id, ${due}::timestamptz, format, ${c.from.toISOString()}::timestamptz,
           ${c.to.toISOString()}::timestamptz, filter
    FROM claimed
    ON CONFLICT ON CONSTRAINT reports_schedule_run_key DO NOTHING
    RETURNING id, tenant_id`);
  const row = rows[0];
  return row ? { reportId: row.id, tenantId: row.tenant_id } : null;
}

/**
 * Gives a claimed run back after its job could not be queued: the report row goes and `next_run_at` returns
 * to the due minute (only if nothing moved it since), so the next cron invocation claims the run again.
 */
export async function releaseScheduledRun(
  db: Database,
  r: { scheduleId: string; reportId: string; dueAt: Date; nextRunAt: Date | null },
): Promise<void> {
  await db.execute(sql`DELETE FROM reports WHERE id = ${r.reportId} AND status = 'queued'`);
  await db.execute(sql`
    UPDATE report_schedules SET next_run_at = ${r.dueAt.toISOString()}::timestamptz
    WHERE id = ${r.scheduleId} AND next_run_at IS NOT DISTINCT FROM ${r.nextRunAt?.toISOString() ?? null}::timestamptz`);
}

/** Fields of a schedule a client may change; `nextRunAt` is recomputed by the caller whenever timing changes. */
export interface ReportScheduleChange {
  name?: string | null;
  cron?: string;
  timezone?: string;
  format?: ReportSchedule['format'];
  range?: ReportSchedule['range'];
  filter?: ReportFilter;
  channelIds?: string[];
  enabled?: boolean;
  nextRunAt?: Date | null;
}

/** Changes one of the tenant's schedules; null when there is none (also for another tenant's id). */
export async function updateReportSchedule(
  db: Database,
  tenantId: string,
  id: string,
  c: ReportScheduleChange,
): Promise<ReportSchedule | null> {
  const sets = [];
  if (c.name !== undefined) sets.push(sql`name = ${c.name}`);
  if (c.cron !== undefined) sets.push(sql`cron = ${c.cron}`);
  if (c.timezone !== undefined) sets.push(sql`timezone = ${c.timezone}`);
  if (c.format !== undefined) sets.push(sql`format = ${c.format}`);
  if (c.range !== undefined) sets.push(sql`range = ${c.range}`);
  if (c.filter !== undefined) sets.push(sql`filter = ${JSON.stringify(c.filter)}::jsonb`);
  if (c.channelIds !== undefined) sets.push(sql`channel_ids = ${sql.param(c.channelIds)}::uuid[]`);
  if (c.enabled !== undefined) sets.push(sql`enabled = ${c.enabled}`);
  if (c.nextRunAt !== undefined) sets.push(sql`next_run_at = ${c.nextRunAt?.toISOString() ?? null}::timestamptz`);
  if (sets.length === 0) return getReportSchedule(db, tenantId, id);
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    UPDATE report_schedules SET ${sql.join(sets, sql`, `)}
    WHERE tenant_id = ${tenantId} AND id = ${id}
    RETURNING ${COLUMNS}`);
  return rows[0] ? toSchedule(rows[0]) : null;
}
