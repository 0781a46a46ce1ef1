import type { EventInsert } from '@pulsestream/db';

/**
 * One event on the events queue: validated and enriched at the edge, ready for `insertEvents` once the
 * message's tenant is added. The geo fields are always present (null when the edge had no data).
 */
export type QueuedEvent = Omit<EventInsert, 'tenantId' | 'country' | 'region' | 'city' | 'colo' | 'asn'> & {
  country: string | null;
  region: string | null;
  city: string | null;
  colo: string | null;
  asn: number | null;
};

/**
 * A message on the events queue: at most 100 events of one tenant, under 128 KB. `batchId` is unique per
 * message and stable across redelivery and redrive, so a dead letter is stored once per message.
 */
export type EventsMessage = {
  type: 'events';
  batchId: string;
  tenantId: string;
  events: QueuedEvent[];
};

/**
 * A message the events consumer gave up on, sent explicitly to the dead-letter queue with the reason and the
 * attempt count (which the platform's own dead-lettering would not carry).
 */
export type DeadLetterMessage = {
  type: 'dead_letter';
  /** The queue the original message came from. */
  queue: string;
  messageId: string;
  tenantId: string | null;
  body: unknown;
  reason: string;
  attempts: number;
};

export function isEventsMessage(body: unknown): body is EventsMessage {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    b.type === 'events' && typeof b.tenantId === 'string' && typeof b.batchId === 'string' && Array.isArray(b.events)
  );
}

export function isDeadLetterMessage(body: unknown): body is DeadLetterMessage {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return b.type === 'dead_letter' && typeof b.queue === 'string' && typeof b.messageId === 'string';
}
