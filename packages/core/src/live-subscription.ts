/**
 * The client side of the live protocol that the TenantHub needs as pure logic: subscription filters and
 * parsing of client → server messages. Kept out of the Durable Object so it is unit-tested in Node.
 */

/** What a live socket wants to see; every field present must match. */
export interface LiveFilter {
  source?: string;
  endpoint?: string;
  type?: string;
}

/** The fields of an event a filter looks at. */
export interface FilterableEvent {
  source: string;
  endpoint?: string | null;
  type?: string;
}

export type ClientMessage =
  | { type: 'ping' }
  | { type: 'subscribe'; filter: LiveFilter }
  | { type: 'invalid'; reason: string };

/** Longest filter value accepted; longer ones cannot match a stored event anyway and only cost memory. */
export const MAX_FILTER_VALUE_LENGTH = 512;
/** Largest client message read; everything a client may send is far smaller. */
export const MAX_CLIENT_MESSAGE_BYTES = 4_096;

const FILTER_FIELDS = ['source', 'endpoint', 'type'] as const;

/**
 * Validates a filter object from a client. Unknown fields are refused rather than ignored, so a typo in a
 * dashboard does not silently subscribe to everything.
 * @returns the filter, or a reason why it is invalid
 */
export function parseLiveFilter(input: unknown): { filter: LiveFilter } | { error: string } {
  if (input === undefined || input === null) return { filter: {} };
  if (typeof input !== 'object' || Array.isArray(input)) return { error: 'filter must be an object' };
  const filter: LiveFilter = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(FILTER_FIELDS as readonly string[]).includes(key)) return { error: `unknown filter field "${key}"` };
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FILTER_VALUE_LENGTH) {
      return { error: `filter.${key} must be a non-empty string of at most ${MAX_FILTER_VALUE_LENGTH} characters` };
    }
    filter[key as (typeof FILTER_FIELDS)[number]] = value;
  }
  return { filter };
}

/** True when `event` passes every field of `filter`. */
export function matchesLiveFilter(filter: LiveFilter, event: FilterableEvent): boolean {
  if (filter.source !== undefined && event.source !== filter.source) return false;
  if (filter.endpoint !== undefined && (event.endpoint ?? null) !== filter.endpoint) return false;
  if (filter.type !== undefined && event.type !== filter.type) return false;
  return true;
}

/** A stable key for a filter, so sockets with equal filters share one serialized frame. */
export function liveFilterKey(filter: LiveFilter): string {
  return JSON.stringify([filter.source ?? null, filter.endpoint ?? null, filter.type ?? null]);
}

/** Parses one text frame from a client. Never throws: bad input is reported as `invalid`. */
export function parseClientMessage(data: string | ArrayBuffer): ClientMessage {
  const size = typeof data === 'string' ? data.length : data.byteLength;
  if (size > MAX_CLIENT_MESSAGE_BYTES) return { type: 'invalid', reason: 'message too large' };
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { type: 'invalid', reason: 'message is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { type: 'invalid', reason: 'message must be a JSON object' };
  }
  const message = parsed as { type?: unknown; filter?: unknown };
  if (message.type === 'ping') return { type: 'ping' };
  if (message.type === 'subscribe') {
    const result = parseLiveFilter(message.filter);
    return 'error' in result ? { type: 'invalid', reason: result.error } : { type: 'subscribe', filter: result.filter };
  }
  return { type: 'invalid', reason: 'unknown message type' };
}
