/**
 * Packing of accepted events into queue messages and `sendBatch` calls, within the limits of Cloudflare
 * Queues: a message body under 128 KB, and at most 100 messages and 256 KB per `sendBatch` call.
 * Sizes are measured on the JSON text the queue carries (`contentType: 'json'`), in UTF-8 bytes.
 */
import { utf8AtMost, utf8Length } from './utf8';

/** Events per queue message: the consumer's unit of retry, and the size of one insert group. */
export const MAX_EVENTS_PER_MESSAGE = 100;
/** Queues refuses a message of 128 KB; the budget leaves room for the envelope and the queue's own framing. */
export const MAX_MESSAGE_BYTES = 120 * 1024;
/** Queues refuses a `sendBatch` call of more than 100 messages or 256 KB in total. */
export const MAX_SEND_BATCH_MESSAGES = 100;
export const MAX_SEND_BATCH_BYTES = 240 * 1024;

/** Limits for {@link packItems}; the defaults are the Queues limits above. */
export interface PackLimits {
  maxItems: number;
  maxBytes: number;
}

/** One packed group: the items, and the bytes they take as JSON array elements (commas included). */
export interface Pack<T> {
  items: T[];
  bytes: number;
}

/** UTF-8 length of the JSON text of `value`, counted without allocating an encoded copy. */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? '');
}

/**
 * Greedily packs items, in order, into groups of at most `maxItems` whose summed sizes stay within
 * `maxBytes` (each item costs its size plus one byte for the separating comma). An item larger than
 * `maxBytes` on its own still gets a group of its own, so nothing is silently dropped; callers bound
 * item sizes upstream (events are at most 32 KiB).
 * @param sizes the byte size of each item, same order as `items`.
 */
export function packItems<T>(items: readonly T[], sizes: readonly number[], limits: PackLimits): Pack<T>[] {
  if (items.length !== sizes.length) throw new RangeError('items and sizes must have the same length');
  const packs: Pack<T>[] = [];
  let current: Pack<T> = { items: [], bytes: 0 };
  items.forEach((item, i) => {
    const size = (sizes[i] ?? 0) + 1;
    if (
      current.items.length > 0 &&
      (current.items.length >= limits.maxItems || current.bytes + size > limits.maxBytes)
    ) {
      packs.push(current);
      current = { items: [], bytes: 0 };
    }
    current.items.push(item);
    current.bytes += size;
  });
  if (current.items.length > 0) packs.push(current);
  return packs;
}

/**
 * Packs events into queue message payloads (at most {@link MAX_EVENTS_PER_MESSAGE} events and
 * `envelopeBytes + events` under {@link MAX_MESSAGE_BYTES}), then groups those messages into `sendBatch`
 * calls within the per-call limits.
 * @param envelopeBytes bytes the message adds around its events array (type, tenant, batch id).
 * @param eventsBytesAtMost an upper bound of the events' JSON sizes summed, when the caller knows one: when it proves
 *   that the events fit one message, they are not serialised to be measured.
 * @returns one entry per `sendBatch` call, each a list of messages, each a list of events.
 */
export function packEventsForQueue<T>(
  events: readonly T[],
  envelopeBytes: number,
  eventsBytesAtMost?: number,
): T[][][] {
  if (events.length > 0 && events.length <= MAX_EVENTS_PER_MESSAGE) {
    // Proven to fit one message without measuring: the events' JSON is at most `eventsBytesAtMost`, plus the
    // array's brackets and commas.
    if (eventsBytesAtMost !== undefined && eventsBytesAtMost + events.length + 1 <= MAX_MESSAGE_BYTES - envelopeBytes) {
      return [[[...events]]];
    }
    // The common case, decided with one stringify: everything fits one message. The array's text (brackets and
    // commas included) is at least what the message's events take.
    if (utf8AtMost(JSON.stringify(events), MAX_MESSAGE_BYTES - envelopeBytes)) return [[[...events]]];
  }
  const sizes = events.map((e) => jsonBytes(e));
  const messages = packItems(events, sizes, {
    maxItems: MAX_EVENTS_PER_MESSAGE,
    maxBytes: MAX_MESSAGE_BYTES - envelopeBytes,
  });
  const calls = packItems(
    messages,
    messages.map((m) => m.bytes + envelopeBytes),
    { maxItems: MAX_SEND_BATCH_MESSAGES, maxBytes: MAX_SEND_BATCH_BYTES },
  );
  return calls.map((call) => call.items.map((message) => message.items));
}

/** An upper bound of the UTF-8 bytes of a string's JSON text: each UTF-16 unit takes at most 6 (`\uXXXX`). */
export function jsonStringBytesAtMost(s: string): number {
  return s.length * 6 + 2;
}
