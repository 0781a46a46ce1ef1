/**
 * Segment's HTTP tracking API (what `@segment/analytics-node` and the other Segment libraries send) mapped
 * onto PulseStream events. Pure: the route reads, authenticates and admits; this decides what each message
 * becomes. Docs: API.md "Compatible ingestion".
 */
import { hasUnpairedSurrogate } from './storable';
import { utf8Length } from './utf8';

export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** Segment's documented limits: 32 KB per message, 500 KB per batch request. Over them → 400. */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
/** Segment caps a batch by bytes only; our pipeline takes at most this many messages per request. */
export const SEGMENT_MAX_MESSAGES = 1000;

/** The `source` every Segment message is stored under. */
export const SEGMENT_SOURCE = 'segment';

/** Event ids the store takes as they are (the pattern of `eventInputSchema.id`). */
const STORABLE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface SegmentOptions {
  /** Keep `context.ip` (dropped by default: personal data the monitoring use does not need). */
  keepIp: boolean;
  /** Keep `context.userAgent` (dropped by default). */
  keepUserAgent: boolean;
}

/** What one request body holds, before per-message validation. */
export type SegmentEnvelope = { messages: unknown[] } | { error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isSegmentType(value: unknown): value is SegmentType {
  return typeof value === 'string' && (SEGMENT_TYPES as readonly string[]).includes(value);
}

/**
 * The messages of a body: `{batch: [...]}` for `/v1/batch`; one message for `/v1/<type>`, whose type the
 * path gives when the body has none.
 */
export function splitSegmentBody(body: unknown, pathType: SegmentType | 'batch'): SegmentEnvelope {
  if (!isObject(body)) return { error: 'the body must be a JSON object' };
  if (pathType !== 'batch') {
    if (body.type !== undefined && body.type !== pathType) {
      return { error: `a message of type "${String(body.type)}" was sent to /v1/${pathType}` };
    }
    return { messages: [{ ...body, type: pathType }] };
  }
  const batch = body.batch;
  if (!Array.isArray(batch)) return { error: '"batch" must be an array of messages' };
  if (batch.length === 0) return { error: '"batch" must not be empty' };
  if (batch.length > SEGMENT_MAX_MESSAGES) {
    return { error: `"batch" has ${batch.length} messages; at most ${SEGMENT_MAX_MESSAGES} are accepted` };
  }
  return { messages: batch };
}

/** Indexes of messages over Segment's 32 KB limit (measured as the JSON the client sent). */
export function oversizedMessages(messages: unknown[]): number[] {
  const over: number[] = [];
  messages.forEach((m, i) => {
    const text = JSON.stringify(m) ?? '';
    if (text.length > SEGMENT_MAX_MESSAGE_BYTES / 4 && utf8Length(text) > SEGMENT_MAX_MESSAGE_BYTES) over.push(i);
  });
  return over;
}

/**
 * A stored event id for a Segment `messageId`: kept when the store takes it as it is (the default
 * `node-next-<ms>-<uuid>` ids do), else a digest of it, so a resend of the same message still dedupes.
 */
export async function eventIdForMessageId(messageId: string): Promise<string> {
  if (STORABLE_ID.test(messageId)) return messageId;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(messageId));
  const hex = Array.from(new Uint8Array(digest).slice(0, 24), (b) => b.toString(16).padStart(2, '0')).join('');
  return `seg-${hex}`;
}

/** `context` without what is dropped by default; the object is copied, the client's left untouched. */
function filteredContext(context: unknown, opts: SegmentOptions): unknown {
  if (!isObject(context)) return context;
  const copy: Record<string, unknown> = { ...context };
  if (!opts.keepIp) delete copy.ip;
  if (!opts.keepUserAgent) delete copy.userAgent;
  return copy;
}

/** The Segment fields kept on the stored event, under their Segment names. */
const KEPT_FIELDS = [
  'userId',
  'anonymousId',
  'groupId',
  'previousId',
  'event',
  'name',
  'category',
  'properties',
  'traits',
] as const;

/**
 * One Segment message as an event for `validateEvents`: a `custom` event with source `segment`, the
 * endpoint naming what happened (the `track` event name, the page or screen name, else the Segment type),
 * the id from `messageId`, the client's `timestamp`, and the Segment fields in `properties`.
 * Returns an error string for a message that is not a Segment message at all.
 */
export async function segmentMessageToEvent(
  message: unknown,
  opts: SegmentOptions,
): Promise<{ event: Record<string, unknown> } | { error: string }> {
  if (!isObject(message)) return { error: 'a message must be a JSON object' };
  const type = message.type;
  if (!isSegmentType(type)) {
    return { error: `"type" must be one of ${SEGMENT_TYPES.join(', ')}` };
  }
  if (type === 'track' && (typeof message.event !== 'string' || message.event.length === 0)) {
    return { error: 'a track message needs an "event" name' };
  }
  if (message.messageId !== undefined && (typeof message.messageId !== 'string' || message.messageId.length === 0)) {
    return { error: '"messageId" must be a non-empty string' };
  }
  // The digest reads UTF-8, where every lone surrogate is U+FFFD: two different ids would share one event id.
  if (typeof message.messageId === 'string' && hasUnpairedSurrogate(message.messageId)) {
    return { error: '"messageId" must not contain an unpaired UTF-16 surrogate' };
  }
  const properties: Record<string, unknown> = { type };
  for (const field of KEPT_FIELDS) {
    if (message[field] !== undefined && message[field] !== null) properties[field] = message[field];
  }
  if (message.context !== undefined) properties.context = filteredContext(message.context, opts);

  const label =
    type === 'track'
      ? (message.event as string)
      : (type === 'page' || type === 'screen') && typeof message.name === 'string' && message.name.length > 0
        ? `${type} ${message.name}`
        : type;
  const event: Record<string, unknown> = {
    type: 'custom',
    source: SEGMENT_SOURCE,
    endpoint: label,
    properties,
  };
  if (typeof message.messageId === 'string') event.id = await eventIdForMessageId(message.messageId);
  const timestamp = message.timestamp ?? message.originalTimestamp;
  if (timestamp !== undefined && timestamp !== null) event.timestamp = timestamp;
  return { event };
}
