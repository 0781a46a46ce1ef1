/**
 * The path every compatible-ingestion route (Segment, OTLP) shares with `POST /v1/events`: the same key
 * lookup, the same TenantGate admission (rate limits, quota, usage), the same queue messages. Each route
 * only reads its own wire format and maps it to events; everything after the mapping is here, built from
 * the pieces `workers/routes/events/ingest.ts` exports, so a fix there reaches these routes too.
 */
import { isApiKeyFormat, sha256Hex } from '@pulsestream/core/auth';
import {
  BodyTooLargeError,
  gunzipStreamBounded,
  InvalidGzipError,
  readStreamBounded,
} from '@pulsestream/core/bounded-gunzip';
import type { NormalizedEvent } from '@pulsestream/core/event-schema';
import { jsonBytes, packEventsForQueue } from '@pulsestream/core/ingest-pack';
import { uuidv7 } from '@pulsestream/core/uuidv7';
import type { EventsMessage, QueuedEvent } from '../../consumers/messages';
import { cfOf, GateClient, rateLimitHeadersOf } from '../../routes/events/ingest';
import type { AppContext } from '../app';
import { ApiError, type ErrorCode } from '../errors';
import { type ResolvedKey, resolveIngestKey } from '../ingest-keys';

const RETRY_AFTER = '5';

export interface OpenedIngest {
  gate: GateClient;
  resolved: ResolvedKey;
}

/**
 * Checks the presented API key the way `POST /v1/events` does (format, isolate cache or database), records
 * the principal for the request log, and returns the tenant's gate. The gate stays the authority on
 * revocation and scope: it is asked on every admit and every refusal.
 */
export async function openIngest(c: AppContext, credential: string | null): Promise<OpenedIngest> {
  if (!credential) throw new ApiError('unauthorized', 'An API key with the "ingest" scope is required.');
  if (!isApiKeyFormat(credential)) throw new ApiError('unauthorized', 'This route needs an API key.');
  const services = c.get('services');
  const keyHash = await sha256Hex(credential);
  let resolved: ResolvedKey | null;
  try {
    resolved = await resolveIngestKey(services, keyHash);
  } catch (err) {
    services.logger.error('ingest: key lookup failed', { error: (err as Error).message });
    throw new ApiError('unavailable', 'The service cannot verify API keys right now.', {
      headers: { 'Retry-After': RETRY_AFTER },
    });
  }
  if (!resolved) throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
  c.set('principal', {
    tenantId: resolved.key.tenantId,
    kind: 'api_key',
    id: resolved.key.keyId,
    scopes: resolved.key.scopes,
  });
  return { gate: new GateClient(c, keyHash, resolved), resolved };
}

export interface BodyLimits {
  maxBytes: number;
  /** How a body over `maxBytes` is refused (Segment documents 400, OTLP and our own API use 413). */
  tooLarge: ErrorCode;
  /** Content-Encodings accepted besides identity. */
  gzip: boolean;
}

/**
 * Reads the body within `maxBytes` (after decompression), counting bytes as they arrive, so a chunked body
 * without Content-Length is bounded too. Refusals go through the gate, so they are counted and keyed.
 */
export async function readBoundedBody(c: AppContext, gate: GateClient, limits: BodyLimits): Promise<Uint8Array> {
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && !(limits.gzip && encoding === 'gzip')) {
    return gate.refuse(
      'unsupported_media_type',
      `Content-Encoding ${limits.gzip ? 'must be gzip or absent' : 'is not accepted'}.`,
      1,
    );
  }
  const tooLarge = `The body must be at most ${limits.maxBytes} bytes${encoding === 'gzip' ? ' after decompression' : ''}.`;
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  const stream = c.req.raw.body;
  if (Number.isFinite(declared) && declared > limits.maxBytes && encoding === 'identity') {
    await stream?.cancel().catch(() => undefined);
    return gate.refuse(limits.tooLarge, tooLarge, 1);
  }
  if (!stream) return gate.refuse('bad_request', 'The body is empty.', 1);
  try {
    return encoding === 'gzip'
      ? await gunzipStreamBounded(stream, limits.maxBytes)
      : await readStreamBounded(stream, limits.maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return gate.refuse(limits.tooLarge, tooLarge, 1);
    if (err instanceof InvalidGzipError) return gate.refuse('bad_request', 'The body is not valid gzip.', 1);
    throw err;
  }
}

export interface Queued {
  accepted: number;
  /** RateLimit-* headers for the response. */
  headers: Record<string, string>;
}

/**
 * Admits `events` at the gate (charging them, and `rejected` as refused, against the tenant's limits and
 * usage), enriches them with the edge's geo data and awaits the queue send. Throws the gate's refusal
 * (429 with Retry-After, 401, 403) as an ApiError. All or nothing: if the queue takes only part, the rest
 * is released at the gate and the request fails with 503, so the client resends the whole batch; the ids
 * are stable, so what did reach the queue is stored once.
 */
export async function admitAndQueue(
  c: AppContext,
  opened: OpenedIngest,
  valid: NormalizedEvent[],
  rejected: number,
  bytes: number,
): Promise<Queued> {
  const { gate, resolved } = opened;
  const now = Date.now();
  const result = await gate.admit({ events: valid.length, rejected, bytes });
  // Nothing to store (an export of non-HTTP spans only): the gate checked the key and counted the refusals.
  if (result.outcome === 'checked') return { accepted: 0, headers: rateLimitHeadersOf(result.rateLimit) };
  if (result.outcome === 'replay') throw new ApiError('internal', 'The gate replayed a request without a key.');
  if (result.outcome !== 'admitted') throw gate.refusal(result);
  const headers = rateLimitHeadersOf(result.rateLimit);

  const cf = cfOf(c);
  const events: QueuedEvent[] = valid.map((e) => ({ ...e, receivedAt: now, ...cf }));
  const tenantId = resolved.key.tenantId;
  const envelopeBytes = jsonBytes({
    type: 'events',
    batchId: uuidv7(now),
    tenantId,
    events: [],
  } satisfies EventsMessage);
  let sent = 0;
  try {
    for (const call of packEventsForQueue(events, envelopeBytes)) {
      await c.env.EVENTS.sendBatch(
        call.map((chunk) => ({
          body: { type: 'events', batchId: uuidv7(), tenantId, events: chunk } satisfies EventsMessage,
          contentType: 'json' as const,
        })),
      );
      sent += call.reduce((n, chunk) => n + chunk.length, 0);
    }
  } catch (err) {
    c.get('logger').error('ingest: queue send failed', {
      tenant: tenantId,
      sent,
      total: events.length,
      error: err instanceof Error ? err.message : String(err),
    });
    const unsent = events.length - sent;
    await gate.release(result, unsent, Math.round((bytes * unsent) / events.length), undefined);
    throw new ApiError('unavailable', 'The pipeline is unavailable; retry the whole request later.', {
      headers: { 'Retry-After': RETRY_AFTER, ...headers },
    });
  }
  return { accepted: events.length, headers };
}
