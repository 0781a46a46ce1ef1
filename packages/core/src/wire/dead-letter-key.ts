import { isDeliveryId } from '../notifications/message';
import { isUuid } from '../uuid';

/**
 * The key of a queue message's dead letter (`dead_letters.message_id`), read from its body so that it is the
 * same on every delivery: an events batch id, a notification's delivery id, a report job's report. A redriven
 * message that fails again, whether our consumer or the platform dead-letters it, then re-arms its own letter
 * (keeping the redrive count, so automatic redrive gives up on poison) instead of starting a new one under the
 * new queue message's id, which would be redriven again without end.
 */

/** The stable letter key of a message body, or null when the body names none (then the queue message id is used). */
export function deadLetterKeyOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.batchId === 'string' && b.batchId !== '') return b.batchId;
  if (b.type === 'notify' && isDeliveryId(b.deliveryId)) {
    return `notify:${b.deliveryId}`;
  }
  if (b.type === 'report.generate' && isUuid(b.reportId)) {
    return `report.generate:${b.reportId.toLowerCase()}`;
  }
  return null;
}
