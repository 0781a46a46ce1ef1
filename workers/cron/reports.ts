import { nextCronTime, parseCron, type ReportJobMessage, resolveScheduleRange } from '@pulsestream/core/reports';
import {
  claimScheduledRun,
  type Database,
  deleteReports,
  describeFailure,
  dueReportSchedules,
  expiredReports,
  failStuckReports,
  owedReportNotices,
  type ReportSchedule,
  releaseScheduledRun,
} from '@pulsestream/db';
import type { ConsumerContext } from '../consumers';
import { createServices } from '../lib/services';

/** Schedules claimed per cron invocation; the rest are due the next minute. */
export const SCHEDULES_PER_RUN = 200;
/** Reports and their files are kept this long. */
export const REPORT_RETENTION_DAYS = 30;
/**
 * A report running this long has a dead job: a queue consumer invocation runs at most 15 minutes of wall
 * time, so after 20 nothing can still be writing it.
 */
export const REPORT_RUNNING_BOUND_MS = 20 * 60 * 1000;
/** A report queued this long lost its message. */
export const REPORT_QUEUED_BOUND_MS = 60 * 60 * 1000;
/**
 * A finished scheduled report whose channels were not told is queued again this long after it finished, twice:
 * late enough that its own job (and a queue backlog behind long reports) is done with it, and twice in case one
 * sweep's send fails. Each report falls in one minute's sweep per delay, so a report is never queued more often.
 */
export const OWED_NOTICE_DELAYS_MS = [15 * 60 * 1000, 45 * 60 * 1000] as const;
/** Owed notices queued per delay and run; a larger burst is logged and left to the second sweep. */
export const OWED_NOTICES_PER_RUN = 500;

/**
 * Every minute: enqueues each due schedule once. Each run is claimed in Postgres with a compare-and-set on
 * the schedule's `next_run_at` (in the same statement as its report row), so two invocations for the same
 * minute, or overlapping slow ones, produce one report per due run. A run whose job cannot be queued is
 * released for the next minute. `now` is the trigger's scheduled time, not the clock, so a late invocation
 * still claims the minute it stands for. Schedules are independent: one that fails is logged and the others
 * are still enqueued (the invocation fails afterwards, so the platform shows it).
 */
export async function enqueueDueReports(cc: ConsumerContext, now: Date): Promise<{ enqueued: number }> {
  const services = createServices(cc.config, cc.logger);
  let enqueued = 0;
  let failed = 0;
  try {
    const db = services.db();
    const due = await dueReportSchedules(db, now, SCHEDULES_PER_RUN);
    for (const schedule of due) {
      try {
        if (await enqueueScheduledRun(cc, db, schedule, now)) enqueued++;
      } catch (err) {
        failed++;
        cc.logger.error('cron: scheduled report failed', { schedule: schedule.id, error: describeFailure(err) });
      }
    }
    if (enqueued > 0) cc.logger.info('cron: scheduled reports queued', { enqueued });
    if (failed > 0) throw new Error(`${failed} of ${due.length} due report schedules failed`);
    return { enqueued };
  } finally {
    await services.close().catch(() => undefined);
  }
}

/** Claims and queues one due run of a schedule; false when there was nothing to queue. */
async function enqueueScheduledRun(
  cc: ConsumerContext,
  db: Database,
  schedule: ReportSchedule,
  now: Date,
): Promise<boolean> {
  const dueAt = schedule.nextRunAt;
  if (!dueAt) return false;
  const nextRunAt = nextRunOf(cc, schedule, now);
  const { from, to } = resolveScheduleRange(schedule.range, dueAt);
  const claim = await claimScheduledRun(db, { scheduleId: schedule.id, dueAt, nextRunAt, from, to });
  if (!claim) return false;
  const message: ReportJobMessage = {
    type: 'report.generate',
    v: 1,
    tenantId: claim.tenantId,
    reportId: claim.reportId,
  };
  try {
    await cc.env.REPORTS.send(message);
    return true;
  } catch (err) {
    cc.logger.error('cron: scheduled report not queued; released for the next minute', {
      schedule: schedule.id,
      error: err instanceof Error ? err.message : String(err),
    });
    await releaseScheduledRun(db, { scheduleId: schedule.id, reportId: claim.reportId, dueAt, nextRunAt });
    return false;
  }
}

/**
 * The run after this one. Expression and time zone were validated at creation; one that no longer parses, or
 * a zone this runtime does not know, stops the schedule after the due run instead of failing every minute.
 */
function nextRunOf(cc: ConsumerContext, schedule: ReportSchedule, now: Date): Date | null {
  try {
    return nextCronTime(parseCron(schedule.cron), now, schedule.timezone);
  } catch (err) {
    cc.logger.error('cron: report schedule stopped; its timing cannot be computed', {
      schedule: schedule.id,
      error: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
}

/**
 * Every minute: reports whose job died are failed, so they can be requested again. A scheduled one gets its job
 * queued once more: the job finds the report failed and only sends its channels `report.failed`.
 */
export async function failStuck(cc: ConsumerContext, now: Date): Promise<string[]> {
  const services = createServices(cc.config, cc.logger);
  try {
    const failed = await failStuckReports(services.db(), {
      runningBefore: new Date(now.getTime() - REPORT_RUNNING_BOUND_MS),
      queuedBefore: new Date(now.getTime() - REPORT_QUEUED_BOUND_MS),
    });
    if (failed.length > 0) cc.logger.warn('cron: stuck reports failed', { reports: failed.map((r) => r.id) });
    await queueReportJobs(
      cc,
      failed.filter((r) => r.scheduled),
      'report.failed not queued for stuck scheduled reports',
    );
    return failed.map((r) => r.id);
  } finally {
    await services.close().catch(() => undefined);
  }
}

/**
 * Every minute: the jobs of finished scheduled reports whose channels were never told (a notification send that
 * failed on a job's last attempt, or a cron send of stuck reports' jobs that failed) are queued again, 15 and 45
 * minutes after they finished; the job sends only the notice owed (fenced by `notified_at`). Returns their ids.
 */
export async function requeueOwedNotices(cc: ConsumerContext, now: Date): Promise<string[]> {
  const services = createServices(cc.config, cc.logger);
  try {
    const owed = [];
    for (const delay of OWED_NOTICE_DELAYS_MS) {
      const finishedBefore = new Date(now.getTime() - delay);
      const finishedAfter = new Date(finishedBefore.getTime() - 60_000);
      const found = await owedReportNotices(services.db(), {
        finishedAfter,
        finishedBefore,
        limit: OWED_NOTICES_PER_RUN,
      });
      if (found.length === OWED_NOTICES_PER_RUN) cc.logger.error('cron: more owed report notices than one run queues');
      owed.push(...found);
    }
    if (owed.length > 0)
      cc.logger.warn('cron: report notices owed; jobs queued again', { reports: owed.map((r) => r.id) });
    await queueReportJobs(cc, owed, 'owed report notices not queued');
    return owed.map((r) => r.id);
  } finally {
    await services.close().catch(() => undefined);
  }
}

/** The queue takes at most this many messages per `sendBatch`. */
const SEND_BATCH_MAX = 100;

/**
 * Queues the job of each report, so its owed notification goes out through the consumer's one path (fenced by
 * `notified_at`). A send that fails is logged (`failure`) with the reports it leaves untold and rethrown.
 */
async function queueReportJobs(
  cc: ConsumerContext,
  reports: readonly { id: string; tenantId: string }[],
  failure: string,
): Promise<void> {
  const jobs: ReportJobMessage[] = reports.map((r) => ({
    type: 'report.generate',
    v: 1,
    tenantId: r.tenantId,
    reportId: r.id,
  }));
  for (let i = 0; i < jobs.length; i += SEND_BATCH_MAX) {
    const chunk = jobs.slice(i, i + SEND_BATCH_MAX);
    try {
      await cc.env.REPORTS.sendBatch(chunk.map((body) => ({ body })));
    } catch (err) {
      cc.logger.error(`cron: ${failure}`, {
        reports: jobs.slice(i).map((j) => j.reportId),
        error: describeFailure(err),
      });
      throw err;
    }
  }
}

/**
 * Daily: reports older than 30 days go, files first (R2 deletes up to 1,000 keys per call), then their rows,
 * so a failure leaves rows that the next run retries, never files nobody can find.
 */
export async function expireReports(cc: ConsumerContext, now: Date, maxBatches = 50): Promise<number> {
  const services = createServices(cc.config, cc.logger);
  const cutoff = new Date(now.getTime() - REPORT_RETENTION_DAYS * 86_400_000);
  let deleted = 0;
  try {
    const db = services.db();
    for (let batch = 0; batch < maxBatches; batch++) {
      const expired = await expiredReports(db, cutoff, 1000);
      if (expired.length === 0) break;
      const keys = expired.flatMap((r) => (r.objectKey ? [r.objectKey] : []));
      if (keys.length > 0) await cc.env.REPORTS_BUCKET.delete(keys);
      deleted += await deleteReports(
        db,
        expired.map((r) => r.id),
      );
      if (expired.length < 1000) break;
    }
    if (deleted > 0) cc.logger.info('cron: expired reports deleted', { deleted });
    return deleted;
  } finally {
    await services.close().catch(() => undefined);
  }
}
