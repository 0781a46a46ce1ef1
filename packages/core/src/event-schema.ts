/**
 * Ingestion contract for `POST /v1/events` (docs: API.md "Ingestion").
 *
 * Validation runs per event so a mixed batch keeps its valid events. Cheap,
 * bounded checks (nesting depth, then byte size) run before zod, so hostile
 * input (deeply nested or huge objects) is refused without deep recursion.
 */
import { z } from 'zod';
import { findUnstorable, unstorableReason } from './storable';
import { clipText, utf8Length } from './utf8';

export const MAX_EVENTS_PER_REQUEST = 1000;
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_PROPERTIES_DEPTH = 8;
/** Events may be stamped at most this far ahead of the receive time (client clock skew). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
export const MAX_LATENCY_MS = 3_600_000;
/**
 * Problems listed per rejected event, and the longest path echoed: a 1 MiB body of tiny unknown keys would
 * otherwise answer ~6 MB of errors, which the idempotency store (2 MB per value) could not hold either.
 */
export const MAX_ERRORS_PER_EVENT = 5;
export const MAX_ERROR_PATH = 128;

export const EVENT_TYPES = ['api_call', 'error', 'custom'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;
/** Printable, URL- and log-safe client ids. */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** RFC 9110 token characters; normalized to upper case afterwards. */
const METHOD_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,16}$/;

/** Control characters would corrupt logs and Prometheus/CSV output downstream. */
function hasNoControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** A text column stores it: no NUL (covered by the control-character check) and no unpaired surrogate. */
function isStorableText(value: string): boolean {
  return unstorableReason(value) === null;
}

const timestampSchema = z.union(
  [
    z.iso.datetime({
      offset: true,
      error: 'must be an ISO 8601 date-time with a timezone (e.g. 2024-05-01T12:00:00Z) or epoch milliseconds',
    }),
    z.number().int('epoch milliseconds must be an integer').min(0, 'epoch milliseconds must be >= 0'),
  ],
  { error: 'must be an ISO 8601 date-time string or an integer of epoch milliseconds' },
);

/** Schema of one incoming event (before defaults that need the request context). */
export const eventInputSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"').nullish(),
  timestamp: timestampSchema.nullish(),
  type: z.enum(EVENT_TYPES).default('api_call'),
  source: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(128)
    .refine(hasNoControlChars, 'must not contain control characters')
    .refine(isStorableText, 'must not contain an unpaired UTF-16 surrogate'),
  endpoint: z
    .string()
    .max(512)
    .refine(hasNoControlChars, 'must not contain control characters')
    .refine(isStorableText, 'must not contain an unpaired UTF-16 surrogate')
    .nullish(),
  method: z
    .string()
    .regex(METHOD_PATTERN, 'must be an HTTP method token of at most 16 characters')
    .transform((m) => m.toUpperCase())
    .nullish(),
  status: z.number().int().min(100).max(599).nullish(),
  latencyMs: z.number().min(0).max(MAX_LATENCY_MS).nullish(),
  // The parsed object itself, not a copy: a zod record rebuilds it and silently drops a "__proto__" key,
  // which JSON.parse made an ordinary own property and which must be stored like any other name.
  properties: z.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object').nullish(),
});

/** An event as a client may send it. */
export type EventInput = z.input<typeof eventInputSchema>;

/** A validated event with defaults applied, ready for enrichment and the queue. */
export interface NormalizedEvent {
  id: string;
  /** epoch ms */
  timestamp: number;
  type: EventType;
  source: string;
  endpoint: string | null;
  method: string | null;
  status: number | null;
  latencyMs: number | null;
  properties: Record<string, unknown> | null;
}

/** One problem with one event; `path` is dotted (`properties.a`), "" for the whole event. */
export interface FieldError {
  path: string;
  message: string;
}

export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

export interface ValidationResult {
  valid: NormalizedEvent[];
  /** For each entry of `valid`, its index in the request. */
  validIndexes: number[];
  /**
   * For each entry of `valid`, the UTF-8 bytes of its input's JSON text (measured for the per-event bound): a
   * normalised event's JSON is at most this plus a fixed allowance, which lets the queue skip measuring it.
   */
  validJsonBytes: number[];
  rejected: RejectedEvent[];
}

export interface ValidateOptions {
  /** receive time, epoch ms */
  now: number;
  retentionDays: number;
  generateId: () => string;
}

/** A request-level failure; `status` is the HTTP status the caller should answer with. */
export interface EnvelopeError {
  error: string;
  status: 400 | 413;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Nesting depth of a JSON value: 0 for primitives, 1 for an object or array of
 * primitives (including empty ones), and so on. Iterative, and stops as soon as
 * the depth passes `limit`, returning `limit + 1`: a 10,000-deep value costs no
 * more than a (limit + 1)-deep one and cannot overflow the stack.
 */
export function jsonDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  let max = 0;
  const stack: { node: object; depth: number }[] = [{ node: value, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth > limit) return limit + 1;
    if (item.depth > max) max = item.depth;
    const children: unknown[] = Array.isArray(item.node) ? item.node : Object.values(item.node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ node: child, depth: item.depth + 1 });
    }
  }
  return max;
}

/**
 * Splits a parsed request body into raw events. The body is one event object,
 * or `{ "events": [...] }` with 1..MAX_EVENTS_PER_REQUEST entries.
 * Too many events yields status 413; every other problem 400.
 */
export function splitEnvelope(body: unknown): { events: unknown[] } | EnvelopeError {
  if (Array.isArray(body)) {
    return { error: 'a bare JSON array is not accepted: send {"events": [...]}', status: 400 };
  }
  if (!isPlainObject(body)) {
    return { error: 'body must be a JSON object: one event, or {"events": [...]}', status: 400 };
  }
  if (!Object.hasOwn(body, 'events')) return { events: [body] };
  const extra = Object.keys(body).filter((key) => key !== 'events');
  if (extra.length > 0) {
    return { error: `unknown field(s) beside "events": ${extra.slice(0, 5).join(', ')}`, status: 400 };
  }
  const events = body.events;
  if (!Array.isArray(events)) return { error: '"events" must be an array', status: 400 };
  if (events.length === 0) return { error: '"events" must not be empty', status: 400 };
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    return {
      error: `too many events: ${events.length} (at most ${MAX_EVENTS_PER_REQUEST} per request)`,
      status: 413,
    };
  }
  return { events };
}

/** Checks that run before zod: bounded depth first (so stringify is safe), then size; `bytes` when it passes. */
function precheck(item: unknown): FieldError[] | { bytes: number } {
  const errors: FieldError[] = [];
  if (isPlainObject(item)) {
    for (const [key, value] of Object.entries(item)) {
      if (jsonDepth(value, MAX_PROPERTIES_DEPTH) > MAX_PROPERTIES_DEPTH) {
        errors.push({ path: key, message: `must not be nested more than ${MAX_PROPERTIES_DEPTH} levels deep` });
      }
    }
  } else if (jsonDepth(item, MAX_PROPERTIES_DEPTH + 1) > MAX_PROPERTIES_DEPTH + 1) {
    errors.push({ path: '', message: 'event must be a JSON object' });
  }
  if (errors.length > 0) return errors;
  let text: string | undefined;
  try {
    text = JSON.stringify(item);
  } catch {
    text = undefined;
  }
  if (text === undefined) return [{ path: '', message: 'event is not serializable as JSON' }];
  const bytes = utf8Length(text);
  if (bytes <= MAX_EVENT_BYTES) return { bytes };
  return [{ path: '', message: `event is ${bytes} bytes; at most ${MAX_EVENT_BYTES} bytes are allowed` }];
}

/** At most {@link MAX_ERRORS_PER_EVENT} problems, then one saying how many more; paths clipped. */
function boundErrors(errors: FieldError[]): FieldError[] {
  const listed = errors.slice(0, MAX_ERRORS_PER_EVENT).map((e) => ({ ...e, path: clipText(e.path, MAX_ERROR_PATH) }));
  const more = errors.length - listed.length;
  if (more > 0) listed.push({ path: '', message: `and ${more} more problem${more === 1 ? '' : 's'} in this event` });
  return listed;
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: path ? `${path}.${key}` : key, message: 'unknown field' });
    } else {
      errors.push({ path, message: issue.message });
    }
  }
  return errors;
}

/**
 * Validates raw events one by one and normalizes the valid ones (id generated
 * when absent, timestamp as epoch ms defaulting to `now`, absent fields null).
 * Timestamps older than `retentionDays` or more than 24 h ahead are rejected.
 */
export function validateEvents(items: unknown[], opts: ValidateOptions): ValidationResult {
  const result: ValidationResult = { valid: [], validIndexes: [], validJsonBytes: [], rejected: [] };
  const oldest = opts.now - opts.retentionDays * DAY_MS;
  const newest = opts.now + MAX_FUTURE_MS;
  items.forEach((item, index) => {
    const early = precheck(item);
    if (Array.isArray(early)) {
      result.rejected.push({ index, errors: boundErrors(early) });
      return;
    }
    const parsed = eventInputSchema.safeParse(item);
    if (!parsed.success) {
      result.rejected.push({ index, errors: boundErrors(toFieldErrors(parsed.error.issues)) });
      return;
    }
    const input = parsed.data;
    const unstorable = input.properties ? findUnstorable(input.properties, 'properties') : null;
    if (unstorable !== null) {
      result.rejected.push({ index, errors: boundErrors([unstorable]) });
      return;
    }
    const raw = input.timestamp;
    const timestamp = raw === null || raw === undefined ? opts.now : typeof raw === 'number' ? raw : Date.parse(raw);
    if (!Number.isFinite(timestamp)) {
      result.rejected.push({ index, errors: [{ path: 'timestamp', message: 'is not a valid date' }] });
      return;
    }
    if (timestamp < oldest) {
      result.rejected.push({
        index,
        errors: [{ path: 'timestamp', message: `is older than the retention period (${opts.retentionDays} days)` }],
      });
      return;
    }
    if (timestamp > newest) {
      result.rejected.push({ index, errors: [{ path: 'timestamp', message: 'is more than 24 h in the future' }] });
      return;
    }
    result.valid.push({
      id: input.id ?? opts.generateId(),
      timestamp,
      type: input.type,
      source: input.source,
      endpoint: input.endpoint ?? null,
      method: input.method ?? null,
      status: input.status ?? null,
      latencyMs: input.latencyMs ?? null,
      properties: input.properties ?? null,
    });
    result.validIndexes.push(index);
    result.validJsonBytes.push(early.bytes);
  });
  return result;
}
