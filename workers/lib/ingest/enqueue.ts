/**
 * Handing admitted events to the events queue, and the answer that follows. The queue is reached only through
 * `Pick<Queue, 'sendBatch'>`, so the failure paths (nothing sent, part sent) are tested with a fake.
 */
import { EVENT_TYPES, MAX_EVENT_BYTES, type RejectedEvent } from '@pulsestream/core/event-schema';
import { jsonBytes, jsonStringBytesAtMost, packEventsForQueue } from '@pulsestream/core/ingest-pack';
import { uuidv7 } from '@pulsestream/core/uuidv7';
import type { EventsMessage, QueuedEvent } from '../../consumers/messages';
import { ApiError } from '../errors';
import type { Logger } from '../logger';
import type { Admission, AdmissionReceipt } from './admission';
import type { EdgeGeo } from './edge-geo';

/** The seam to the events queue. */
export type EventsQueue = Pick<Queue, 'sendBatch'>;

/** Seconds a client is asked to wait when the pipeline is unavailable. */
export const PIPELINE_RETRY_AFTER = '5';

/** The 202 answer of `POST /v1/events`. */
export interface IngestAnswer {
  accepted: number;
  rejected: RejectedEvent[];
  ids: string[];
}

export interface Enqueued {
  /** Events on the queue: a prefix of the events, in order. */
  sent: number;
  /** Why the rest were not sent; undefined when all were. */
  error: unknown;
}

/** Sizes the envelope: every message's batch id is a UUID, and a UUID's text has a fixed length. */
const BATCH_ID_PLACEHOLDER = '00000000-0000-7000-8000-000000000000';
/** The longest JSON text of a finite number (`-1.2345678901234567e-308` is 24 characters), with room to spare. */
const NUMBER_AT_MOST = 10 ** 31;

/**
 * The bytes a validated event's JSON can grow by when it is normalised and enriched, beyond the input event's
 * own JSON (which `validateEvents` bounds by `MAX_EVENT_BYTES`): every field's name with the longest value the
 * normalisation can give it (a generated id, a parsed timestamp, the default type, nulls), and the receipt time.
 * The input's own values (source, endpoint, properties, …) are counted in its JSON; normalising them never
 * lengthens them (trimming, upper-casing an ASCII token, the same properties object).
 */
const NORMALISATION_BYTES_AT_MOST = jsonBytes({
  id: BATCH_ID_PLACEHOLDER,
  timestamp: NUMBER_AT_MOST,
  receivedAt: NUMBER_AT_MOST,
  type: EVENT_TYPES.reduce((a, b) => (b.length > a.length ? b : a)),
  source: '',
  endpoint: null,
  method: null,
  status: null,
  latencyMs: null,
  country: null,
  region: null,
  city: null,
  colo: null,
  asn: NUMBER_AT_MOST,
  properties: null,
} satisfies QueuedEvent);

/**
 * An upper bound of the JSON size of an event `validateEvents` accepted, once enriched with `geo`: its input's
 * JSON bytes (`validJsonBytes`; at most `MAX_EVENT_BYTES` for any event) plus what normalising and enriching can
 * add. Lets the single-message case be decided without serialising the events to measure them (the queue
 * serialises them).
 */
export function queuedEventBytesAtMost(geo: EdgeGeo, inputJsonBytes = MAX_EVENT_BYTES): number {
  let bytes = inputJsonBytes + NORMALISATION_BYTES_AT_MOST;
  for (const v of [geo.country, geo.region, geo.city, geo.colo]) if (v !== null) bytes += jsonStringBytesAtMost(v);
  return bytes;
}

/** The sum of {@link queuedEventBytesAtMost} over events whose inputs' JSON took `inputJsonBytes`. */
export function queuedEventsBytesAtMost(geo: EdgeGeo, inputJsonBytes: readonly number[]): number {
  const perEvent = queuedEventBytesAtMost(geo, 0);
  let bytes = 0;
  for (const b of inputJsonBytes) bytes += b + perEvent;
  return bytes;
}

/**
 * Sends `events` in as few `sendBatch` calls as the Queues limits allow (messages of at most 100 events),
 * awaiting each: 202 means the events are on the queue. Stops at the first failed call.
 * @param eventsBytesAtMost an upper bound of the events' JSON sizes summed (`queuedEventsBytesAtMost`), when known.
 */
export async function enqueueEvents(
  queue: EventsQueue,
  tenantId: string,
  events: QueuedEvent[],
  eventsBytesAtMost?: number,
): Promise<Enqueued> {
  const envelopeBytes = jsonBytes({
    type: 'events',
    v: 1,
    batchId: BATCH_ID_PLACEHOLDER,
    tenantId,
    events: [],
  } satisfies EventsMessage);
  let sent = 0;
  for (const call of packEventsForQueue(events, envelopeBytes, eventsBytesAtMost)) {
    try {
      await queue.sendBatch(
        call.map((chunk) => ({
          body: { type: 'events', v: 1, batchId: uuidv7(), tenantId, events: chunk } satisfies EventsMessage,
          contentType: 'json' as const,
        })),
      );
    } catch (error) {
      return { sent, error };
    }
    sent += call.reduce((n, chunk) => n + chunk.length, 0);
  }
  return { sent, error: undefined };
}

/**
 * The answer when only the first `sent` valid events reached the queue: those are accepted, and the rest are
 * listed as rejected (beside the invalid ones, by index) so the client retries exactly those.
 * @param validIndexes the request index of each valid event, in order.
 */
export function partialAnswer(answer: IngestAnswer, validIndexes: readonly number[], sent: number): IngestAnswer {
  return {
    accepted: sent,
    rejected: [
      ...answer.rejected,
      ...validIndexes.slice(sent).map((index) => ({
        index,
        errors: [{ path: '', message: 'the pipeline is unavailable; retry this event' }],
      })),
    ].sort((a, b) => a.index - b.index),
    ids: answer.ids.slice(0, sent),
  };
}

export interface QueueDeps {
  queue: EventsQueue;
  admission: Admission;
  logger: Logger;
  /** Runs the Idempotency-Key confirmation after the answer. */
  waitUntil(promise: Promise<unknown>): void;
}

export interface AdmittedBatch {
  tenantId: string;
  events: QueuedEvent[];
  answer: IngestAnswer;
  /** `answer` as sent (and as stored under the Idempotency-Key). */
  answerText: string;
  validIndexes: readonly number[];
  /** Decompressed body bytes charged. */
  bytes: number;
  idempotencyKey: string | undefined;
  now: number;
  /** An upper bound of the events' JSON sizes summed (`queuedEventsBytesAtMost`), when known. */
  eventsBytesAtMost?: number;
}

/**
 * Queues an admitted batch and answers. All sent: 202 with the answer, and the Idempotency-Key confirmed
 * after it. None sent: the charge is given back, the Idempotency-Key forgotten, and the client gets 503
 * (nothing accepted). Some sent: they cannot be taken back, so 202 with the partial answer, the rest's
 * charge given back and the partial answer stored under the Idempotency-Key.
 */
export async function queueAndAnswer(
  deps: QueueDeps,
  receipt: AdmissionReceipt,
  headers: Record<string, string>,
  batch: AdmittedBatch,
): Promise<Response> {
  const { sent, error } = await enqueueEvents(deps.queue, batch.tenantId, batch.events, batch.eventsBytesAtMost);
  const key = batch.idempotencyKey;
  if (error === undefined) {
    if (key) deps.waitUntil(deps.admission.commit(key));
    return jsonResponse(batch.answerText, headers);
  }
  const total = batch.events.length;
  deps.logger.error('ingest: queue send failed', {
    tenant: batch.tenantId,
    sent,
    total,
    error: error instanceof Error ? error.message : String(error),
  });
  const unsent = total - sent;
  const unsentBytes = Math.round((batch.bytes * unsent) / total);
  if (sent === 0) {
    await deps.admission.release(receipt, unsent, unsentBytes, key ? { key } : undefined);
    throw new ApiError('unavailable', 'The pipeline is unavailable; nothing was accepted. Retry later.', {
      headers: { 'Retry-After': PIPELINE_RETRY_AFTER, ...headers },
    });
  }
  const partialText = JSON.stringify(partialAnswer(batch.answer, batch.validIndexes, sent));
  await deps.admission.release(
    receipt,
    unsent,
    unsentBytes,
    key ? { key, response: { status: 202, body: partialText } } : undefined,
  );
  return jsonResponse(partialText, headers);
}

function jsonResponse(text: string, headers: Record<string, string>): Response {
  return new Response(text, { status: 202, headers: { 'content-type': 'application/json', ...headers } });
}
