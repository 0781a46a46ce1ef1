// The events message is a versioned wire type in core, apart from the database row type.
export type { EventsMessage, QueuedEvent } from '@pulsestream/core/wire/events-message';
export { isEventsMessage } from '@pulsestream/core/wire/events-message';

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

export function isDeadLetterMessage(body: unknown): body is DeadLetterMessage {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return b.type === 'dead_letter' && typeof b.queue === 'string' && typeof b.messageId === 'string';
}
