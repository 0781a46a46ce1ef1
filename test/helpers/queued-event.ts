// No workerd import: unit tests in Node use it too.
import type { QueuedEvent } from '../../workers/consumers/messages';

/** An events-queue event as the edge enqueues it, a minute old. */
export function queuedEvent(id: string, over: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id,
    timestamp: Date.now() - 60_000,
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 12,
    country: null,
    region: null,
    city: null,
    colo: null,
    asn: null,
    properties: null,
    ...over,
  };
}
