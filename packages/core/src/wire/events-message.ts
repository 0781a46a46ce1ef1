/**
 * The events queue's message, a wire type: written by the edge, read by the consumer, possibly days apart
 * (retries, dead letters, redrive). It is declared here field by field, apart from the database row type, so
 * a schema change can never silently change the shape of messages already in flight; a change to this shape
 * is a new version that the consumer reads beside the old one.
 */

/** One validated, enriched event as version 1 of the message carries it. Times are epoch milliseconds. */
export interface QueuedEventV1 {
  id: string;
  timestamp: number;
  receivedAt: number;
  type: string;
  source: string;
  endpoint: string | null;
  method: string | null;
  status: number | null;
  latencyMs: number | null;
  country: string | null;
  region: string | null;
  city: string | null;
  colo: string | null;
  asn: number | null;
  properties: Record<string, unknown> | null;
}

/**
 * At most 100 events of one tenant, under 128 KB. `batchId` is unique per message and stable across
 * redelivery and redrive, so a dead letter is stored once per message. `v` is absent in messages written
 * before versioning, which have the same shape.
 */
export interface EventsMessageV1 {
  type: 'events';
  v?: 1;
  batchId: string;
  tenantId: string;
  events: QueuedEventV1[];
}

/** The versions the consumer reads. */
export type EventsMessage = EventsMessageV1;
export type QueuedEvent = QueuedEventV1;

/** Narrows a queue body to an events message of a version this code reads. */
export function isEventsMessage(body: unknown): body is EventsMessage {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    b.type === 'events' &&
    (b.v === undefined || b.v === 1) &&
    typeof b.tenantId === 'string' &&
    typeof b.batchId === 'string' &&
    Array.isArray(b.events)
  );
}
