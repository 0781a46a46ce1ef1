import type { NotifyEventType, NotifyMessage } from '@pulsestream/core/notifications/message';
import { MAX_DOWNLOAD_TTL_SECONDS, reportFailedData } from '@pulsestream/core/reports';
import { type Database, getReportScheduleById, markReportNotified, type Report } from '@pulsestream/db';
import { reportDownloadLink } from '../lib/report-links';
import type { ConsumerContext } from '.';

/**
 * The channels a scheduled report's outcome goes to: none for an ad-hoc report, one already notified, or a
 * schedule that is gone, belongs to another tenant or has no channels. In those last cases nothing is owed, and
 * `notified_at` says so, so that the cron's sweep of owed notices (`requeueOwedNotices`) does not come back to it.
 */
async function pendingChannels(db: Database, report: Report): Promise<{ scheduleId: string; channelIds: string[] }> {
  const none = { scheduleId: '', channelIds: [] };
  if (!report.scheduleId || report.notifiedAt) return none;
  const schedule = await getReportScheduleById(db, report.scheduleId);
  if (!schedule || schedule.tenantId !== report.tenantId || schedule.channelIds.length === 0) {
    await markReportNotified(db, report.id);
    return none;
  }
  return { scheduleId: schedule.id, channelIds: schedule.channelIds };
}

/**
 * One notification per channel on the notifications queue, then `notified_at`. `deliveryId` is stable per
 * (event, report, channel), so a receiver can deduplicate if a retry sends the batch twice; `notified_at` keeps a
 * redelivered job from sending it again once it went out. A failed send throws: the job is retried, and on its
 * last attempt handed to the dead letters, never acked silently.
 */
async function sendReportNotices(
  db: Database,
  report: Report,
  channelIds: string[],
  event: NotifyEventType,
  data: Record<string, unknown>,
  cc: ConsumerContext,
): Promise<void> {
  const messages: NotifyMessage[] = channelIds.map((channelId) => ({
    type: 'notify',
    v: 1,
    tenantId: report.tenantId,
    channelId,
    deliveryId: `${event}:${report.id}:${channelId}`,
    event,
    data,
    reportId: report.id,
  }));
  await cc.env.NOTIFICATIONS.sendBatch(messages.map((body) => ({ body })));
  await markReportNotified(db, report.id);
}

/**
 * For a ready scheduled report: `report.ready` to each channel of the schedule, with a download URL valid for
 * the longest allowed time (people open these later).
 */
export async function notifyReady(db: Database, report: Report, cc: ConsumerContext): Promise<void> {
  if (report.status !== 'ready' || report.rows === null || report.bytes === null) return;
  const { scheduleId, channelIds } = await pendingChannels(db, report);
  if (channelIds.length === 0) return;
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
    scheduleId,
  };
  await sendReportNotices(db, report, channelIds, 'report.ready', data, cc);
}

/** For a failed scheduled report: `report.failed` to each channel of the schedule, with the stored reason. */
export async function notifyFailed(db: Database, report: Report, cc: ConsumerContext): Promise<void> {
  if (report.status !== 'failed') return;
  const { scheduleId, channelIds } = await pendingChannels(db, report);
  if (channelIds.length === 0) return;
  await sendReportNotices(db, report, channelIds, 'report.failed', { ...reportFailedData(report, scheduleId) }, cc);
}

/** Whatever notification a finished report still owes its channels: ready or failed, once. */
export async function notifyOutcome(db: Database, report: Report, cc: ConsumerContext): Promise<void> {
  if (report.status === 'ready') await notifyReady(db, report, cc);
  else if (report.status === 'failed') await notifyFailed(db, report, cc);
}

/** True when a finished scheduled report's notifications were not yet handed to the queue. */
export function owesNotification(report: Report): boolean {
  return (
    (report.status === 'ready' || report.status === 'failed') &&
    report.scheduleId !== null &&
    report.notifiedAt === null
  );
}
