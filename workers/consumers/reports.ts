import {
  capReportRows,
  REPORT_CONTENT_TYPES,
  type ReportJobMessage,
  ReportTooLargeError,
  reportObjectKey,
} from '@pulsestream/core/reports';
import { deadLetterKeyOf } from '@pulsestream/core/wire/dead-letter-key';
import { type Database, describeFailure, failReport, finishReport, getReport, startReport } from '@pulsestream/db';
import { reportPages } from '../lib/report-pages';
import { DEFAULT_PART_BYTES, R2PartSink, writeReport } from '../lib/report-writer';
import { createServices } from '../lib/services';
import type { ConsumerContext } from '.';
import type { DeadLetterMessage } from './messages';
import { notifyFailed, notifyOutcome, notifyReady, owesNotification } from './report-notifications';

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
 * and the key. A failure is retried with backoff; the last attempt marks a running report failed (a scheduled one
 * tells its channels, `report.failed`), and hands the job to the dead letters with its real error when no status
 * would tell anyone (a report that never started, or a finished scheduled report whose notifications were not
 * queued).
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
          const letterReason = await failCurrentAttempt(services.db(), message.body, error, cc);
          if (letterReason !== null) await deadLetterJob(message, queue, letterReason, cc);
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
 * Ends a job that failed for good (`error` is why): a running report is marked failed (the client asks again)
 * and a scheduled one tells its channels. Returns the dead letter's reason when work is left that no failed
 * status tells anyone about (a report that never started, or a finished scheduled report whose notifications
 * were not handed to the queue), else null. Acking that silently would lose it.
 */
async function failCurrentAttempt(
  db: Database,
  job: ReportJobMessage,
  error: string,
  cc: ConsumerContext,
): Promise<string | null> {
  const report = await getReport(db, job.tenantId, job.reportId);
  if (report?.status === 'running') {
    await failReport(db, { id: report.id, attempt: report.attempt, error: FAILED_MESSAGE });
    return notifyOnLastAttempt(db, job, error, cc);
  }
  if (report?.status === 'queued') return error;
  return report && owesNotification(report) ? error : null;
}

/**
 * The outcome's notifications when no attempt follows: a send that fails is not retried here but becomes the
 * dead letter's reason, with the job's own error (a redrive runs the job again, which sends only what is owed).
 */
async function notifyOnLastAttempt(
  db: Database,
  job: ReportJobMessage,
  error: string,
  cc: ConsumerContext,
): Promise<string | null> {
  const report = await getReport(db, job.tenantId, job.reportId);
  if (!report) return null;
  try {
    await notifyOutcome(db, report, cc);
    return null;
  } catch (err) {
    return `${error}; then the report's ${report.status} notifications were not queued: ${describeFailure(err)}`;
  }
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
    if (existing) await notifyOutcome(db, existing, cc);
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
    // Final: another attempt would read the same rows. The status says why and what to do, and a scheduled
    // report's channels are told (a failed send throws: the job is retried, and only the notice is left to do).
    await failReport(db, { id: report.id, attempt: report.attempt, error: err.message });
    cc.logger.warn('reports: too large', { report: report.id, maxRows: err.maxRows });
    const failed = await getReport(db, report.tenantId, report.id);
    if (failed) await notifyFailed(db, failed, cc);
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
