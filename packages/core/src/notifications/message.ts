/**
 * The notifications queue's message: one delivery of one event to one channel. Versioned wire type, apart from
 * any database row type, so a schema change never silently changes messages already on the queue.
 * `deliveryId` is stable across retries and is sent as the Standard Webhooks `webhook-id`, so a receiver can
 * deduplicate redelivered notifications.
 */
export type NotifyEventType = 'alert.firing' | 'alert.resolved' | 'report.ready' | 'report.failed' | 'test';

export interface NotifyMessageV1 {
  type: 'notify';
  v: 1;
  tenantId: string;
  channelId: string;
  deliveryId: string;
  event: NotifyEventType;
  /**
   * The JSON body's `data`: for report.ready `{ reportId, format, rows, bytes, downloadUrl, expiresAt, scheduleId }`,
   * for report.failed `{ reportId, format, error, scheduleId, from, to }` (`ReportFailedData`).
   */
  data: Record<string, unknown>;
  alertId?: string;
  reportId?: string;
}

export type NotifyMessage = NotifyMessageV1;

/** Narrows an unknown queue body to a notify message. */
export function isNotifyMessage(body: unknown): body is NotifyMessage {
  if (typeof body !== 'object' || body === null) return false;
  const m = body as Record<string, unknown>;
  return m.type === 'notify' && m.v === 1 && typeof m.tenantId === 'string' && typeof m.channelId === 'string';
}

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/** Printable ASCII, bounded: what a delivery id (and so a `webhook-id` header and a letter key) may be. */
export function isDeliveryId(value: unknown): value is string {
  return typeof value === 'string' && DELIVERY_ID.test(value);
}
