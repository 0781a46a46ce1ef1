import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import {
  capReportRows,
  MAX_DOWNLOAD_TTL_SECONDS,
  REPORT_CONTENT_TYPES,
  type ReportJobMessage,
  ReportTooLargeError,
  reportObjectKey,
} from '@pulsestream/core/reports';
import { deadLetterKeyOf } from '@pulsestream/core/wire/dead-letter-key';
import {
  type Database,
  describeFailure,
  failReport,
  finishReport,
  getReport,
  getReportScheduleById,
  markReportNotified,
  type Report,
  startReport,
} from '@pulsestream/db';
import { reportDownloadLink } from '../lib/report-links';
import { reportPages } from '../lib/report-pages';
import { DEFAULT_PART_BYTES, R2PartSink, writeReport } from '../lib/report-writer';
import { createServices } from '../lib/services';
import type { ConsumerContext } from '.';
import type { DeadLetterMessage } from './messages';

/** Deliveries of one job before the report is marked failed (matches max_retries in wrangler.toml). */
export const REPORT_MAX_ATTEMPTS = 3;

const FAILED_MESSAGE = 'The report could not be generated; request it again.';

export interface ReportJobOptions {
  /** multipart part size; tests lower it to exercise multipart with a small file */
  partBytes?: number;
  pageRows?: number;
  /** rows one report may hold; tests lower it */
  maxRows?: number;
}

/**
 * Generates reports, one message at a time (the queue delivers batches of one): the report goes running,
 * its rows are streamed from Postgres page by page into an R2 object, and it goes ready with rows, bytes
 * and the key. A failure is retried with backoff; the last attempt marks a running report failed, and hands the
 * job to the dead letters with its real error when no status would tell anyone (a report that never started,
 * or a ready scheduled report whose notifications were not queued).
 */
export async function handleReportMessages(
  messages: Message<ReportJobMessage>[],
  queue: string,
  cc: ConsumerContext,
  options: ReportJobOptions = {},
): Promise<void> {
  for (const message of messages) {
    const services = createServices(cc.config, cc.logger);
    const log = { report: message.body.reportId, tenant: message.body.tenantId, attempt: message.attempts };
    try {
      await runReportJob(message.body, services.db(), cc, options);
      message.ack();
    } catch (err) {
      const error = describeFailure(err);
      if (message.attempts >= REPORT_MAX_ATTEMPTS) {
        cc.logger.error('reports: job failed for good', { ...log, error });
        try {
          const undone = await failCurrentAttempt(services.db(), message.body);
          if (undone) await deadLetterJob(message, queue, error, cc);
          message.ack();
        } catch {
          message.retry({ delaySeconds: 60 });
        }
      } else {
        cc.logger.warn('reports: job failed, retrying', { ...log, error });
        message.retry({ delaySeconds: 10 * 2 ** (message.attempts - 1) });
      }
    } finally {
      await services.close().catch(() => undefined);
    }
  }
}

/**
 * Ends a job that failed for good: a running report is marked failed (the client asks again). Returns true when
 * work is left that no failed status tells anyone about: a report that never started, or a ready scheduled
 * report whose notifications were not handed to the queue. Acking that silently would lose it.
 */
async function failCurrentAttempt(db: Database, job: ReportJobMessage): Promise<boolean> {
  const report = await getReport(db, job.tenantId, job.reportId);
  if (report?.status === 'running') {
    await failReport(db, { id: report.id, attempt: report.attempt, error: FAILED_MESSAGE });
    return false;
  }
  if (report?.status === 'queued') return true;
  return report?.status === 'ready' && report.scheduleId !== null && report.notifiedAt === null;
}

/** Hands the job to the dead-letter queue with its real error; a redrive runs it again (it is idempotent). */
async function deadLetterJob(
  message: Message<ReportJobMessage>,
  queue: string,
  reason: string,
  cc: ConsumerContext,
): Promise<void> {
  const letter: DeadLetterMessage = {
    type: 'dead_letter',
    queue,
    messageId: deadLetterKeyOf(message.body) ?? `report.generate:${message.id}`,
    tenantId: message.body.tenantId,
    body: message.body,
    reason: reason.slice(0, 1000),
    attempts: message.attempts,
  };
  await cc.env.DEAD_LETTERS.send(letter, { contentType: 'json' });
}

/** One job: idempotent, so a redelivered or retried message converges on the same report and object. */
export async function runReportJob(
  job: ReportJobMessage,
  db: Database,
  cc: ConsumerContext,
  options: ReportJobOptions = {},
): Promise<void> {
  const report = await startReport(db, job.tenantId, job.reportId);
  if (!report) {
    // Already ready (a redelivery after success), failed, or deleted: only a missed notification is left.
    const existing = await getReport(db, job.tenantId, job.reportId);
    if (existing?.status === 'ready') await notifyReady(db, existing, cc);
    return;
  }
  const key = reportObjectKey(report.tenantId, report.id, report.format);
  const sink = new R2PartSink(
    cc.env.REPORTS_BUCKET,
    key,
    REPORT_CONTENT_TYPES[report.format].contentType,
    options.partBytes ?? DEFAULT_PART_BYTES,
  );
  let rows: number;
  try {
    const pages = capReportRows(reportPages(db, report, options.pageRows), options.maxRows);
    rows = await writeReport(report.format, pages, sink);
    await sink.finish();
  } catch (err) {
    await sink.abort();
    if (!(err instanceof ReportTooLargeError)) throw err;
    // Final: another attempt would read the same rows. The status says why and what to do.
    await failReport(db, { id: report.id, attempt: report.attempt, error: err.message });
    cc.logger.warn('reports: too large', { report: report.id, maxRows: err.maxRows });
    return;
  }
  const applied = await finishReport(db, {
    id: report.id,
    attempt: report.attempt,
    rows,
    bytes: sink.bytes,
    objectKey: key,
  });
  if (!applied) {
    cc.logger.warn('reports: a newer attempt owns the report; result dropped', {
      report: report.id,
      attempt: report.attempt,
    });
    return;
  }
  cc.logger.info('reports: ready', { report: report.id, format: report.format, rows, bytes: sink.bytes });
  const ready = await getReport(db, report.tenantId, report.id);
  if (ready) await notifyReady(db, ready, cc);
}

/**
 * For a scheduled report: one `report.ready` notification per channel of the schedule, on the notifications
 * queue, with a download URL valid for the longest allowed time (people open these later). `deliveryId` is
 * stable per (report, channel), so a receiver can deduplicate if a retry sends the batch twice; `notified_at`
 * keeps a redelivered job from sending it again once it went out.
 */
async function notifyReady(db: Database, report: Report, cc: ConsumerContext): Promise<void> {
  if (!report.scheduleId || report.notifiedAt || report.rows === null || report.bytes === null) return;
  const schedule = await getReportScheduleById(db, report.scheduleId);
  if (!schedule || schedule.tenantId !== report.tenantId || schedule.channelIds.length === 0) return;
  const baseUrl = cc.config.PUBLIC_BASE_URL;
  if (!baseUrl) {
    cc.logger.error('reports: PUBLIC_BASE_URL is not set; report.ready notifications skipped', { report: report.id });
    return;
  }
  const link = await reportDownloadLink(cc.config, baseUrl, report, MAX_DOWNLOAD_TTL_SECONDS);
  const data = {
    reportId: report.id,
    format: report.format,
    rows: report.rows,
    bytes: report.bytes,
    downloadUrl: link.downloadUrl,
    expiresAt: link.expiresAt.toISOString(),
    scheduleId: schedule.id,
  };
  const messages: NotifyMessage[] = schedule.channelIds.map((channelId) => ({
    type: 'notify',
    v: 1,
    tenantId: report.tenantId,
    channelId,
    deliveryId: `report.ready:${report.id}:${channelId}`,
    event: 'report.ready',
    data,
    reportId: report.id,
  }));
  await cc.env.NOTIFICATIONS.sendBatch(messages.map((body) => ({ body })));
  await markReportNotified(db, report.id);
}
