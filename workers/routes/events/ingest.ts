import { createRoute } from '@hono/zod-openapi';
import { isApiKeyFormat, sha256Hex } from '@pulsestream/core/auth';
import {
  BodyTooLargeError,
  gunzipStreamBounded,
  InvalidGzipError,
  readStreamBounded,
} from '@pulsestream/core/bounded-gunzip';
import { MAX_BODY_BYTES, type RejectedEvent, splitEnvelope, validateEvents } from '@pulsestream/core/event-schema';
import { jsonBytes, packEventsForQueue } from '@pulsestream/core/ingest-pack';
import { uuidv7 } from '@pulsestream/core/uuidv7';
import type { IngestKey } from '@pulsestream/db';
import type { EventsMessage, QueuedEvent } from '../../consumers/messages';
import type { App, AppContext } from '../../lib/app';
import { presentedCredential } from '../../lib/auth';
import { ApiError, type ErrorCode, type FieldError } from '../../lib/errors';
import { type ResolvedKey, resolveIngestKey } from '../../lib/ingest-keys';
import type { AdmitRequest, AdmitResult, GateLimits, RateLimitInfo, TenantGate } from '../../objects/tenant-gate';
import { ingestAccepted, ingestBody, problemResponse, rateLimitHeaders } from './schema';

const route = createRoute({
  method: 'post',
  path: '/v1/events',
  tags: ['ingestion'],
  summary: 'Ingest one event or a batch of up to 1,000',
  description:
    'API key with the `ingest` scope. At most 1 MiB after decompression (`Content-Encoding: gzip` accepted), ' +
    '32 KiB per event, properties nested at most 8 deep. Optional `Idempotency-Key` (≤255 chars): a repeat ' +
    'within 24 h returns the first response unchanged. Every response to a known key carries RateLimit-* headers.',
  security: [{ apiKey: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: ingestBody } } } },
  responses: {
    202: {
      description: 'Valid events were handed to the pipeline; invalid ones are listed',
      headers: rateLimitHeaders,
      content: { 'application/json': { schema: ingestAccepted } },
    },
    400: problemResponse('Malformed JSON, invalid UTF-8 or gzip, or no valid event'),
    401: problemResponse('Missing, unknown or revoked API key'),
    403: problemResponse('The key lacks the ingest scope'),
    409: problemResponse('A request with this Idempotency-Key is still in progress'),
    413: problemResponse('Body over 1 MiB (after decompression) or more than 1,000 events'),
    415: problemResponse('Not application/json, or an unsupported Content-Encoding'),
    422: problemResponse('Idempotency-Key reused with a different body'),
    429: problemResponse('Rate limit (tenant or key) or monthly quota exceeded; see Retry-After'),
    503: problemResponse('The pipeline is unavailable; nothing was accepted'),
  },
});

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const PIPELINE_RETRY_AFTER = '5';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** `POST /v1/events`: bounds, parse, validate, one TenantGate call, enrich, queue, 202. */
export function registerIngestEvents(app: App): void {
  // Documented from the route, handled by a plain handler: the body must be bounded and decompressed
  // before anything parses it, so the OpenAPI JSON validator (which reads the whole body) must not run.
  app.openAPIRegistry.registerPath(route);
  app.post(route.path, (c) => ingest(c));
}

async function ingest(c: AppContext): Promise<Response> {
  const now = Date.now();
  const services = c.get('services');
  const credential = presentedCredential(c);
  if (!credential) throw new ApiError('unauthorized', 'An API key with the "ingest" scope is required.');
  if (!isApiKeyFormat(credential)) throw new ApiError('unauthorized', 'This route needs an API key.');
  const keyHash = await sha256Hex(credential);
  let resolved: ResolvedKey | null;
  try {
    resolved = await resolveIngestKey(services, keyHash);
  } catch (err) {
    services.logger.error('ingest: key lookup failed', { error: (err as Error).message });
    throw new ApiError('unavailable', 'The service cannot verify API keys right now.', {
      headers: { 'Retry-After': PIPELINE_RETRY_AFTER },
    });
  }
  if (!resolved) throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
  // For the request log line; the gate, not this cached copy, decides on revocation and scope.
  c.set('principal', {
    tenantId: resolved.key.tenantId,
    kind: 'api_key',
    id: resolved.key.keyId,
    scopes: resolved.key.scopes,
  });
  const gate = new GateClient(c, keyHash, resolved);

  // Bounds before parsing: type, encoding and declared size, then a bounded read.
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) {
    return gate.refuse('unsupported_media_type', 'The body must be application/json.', 1);
  }
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return gate.refuse('unsupported_media_type', 'Content-Encoding must be gzip or absent.', 1);
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    return gate.refuse('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`, 1);
  }
  const stream = c.req.raw.body;
  if (!stream) return gate.refuse('bad_request', 'The body is empty.', 1);
  let bytes: Uint8Array;
  try {
    bytes =
      encoding === 'gzip'
        ? await gunzipStreamBounded(stream, MAX_BODY_BYTES)
        : await readStreamBounded(stream, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      return gate.refuse(
        'payload_too_large',
        `The body must be at most ${MAX_BODY_BYTES} bytes${encoding === 'gzip' ? ' after decompression' : ''}.`,
        1,
      );
    }
    if (err instanceof InvalidGzipError) return gate.refuse('bad_request', 'The body is not valid gzip.', 1);
    // The client went away mid-upload: nobody reads the answer, and it is not a server error to log.
    return gate.refuse('bad_request', 'The request body was not received in full.', 1);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return gate.refuse('bad_request', 'The body is not valid UTF-8.', 1);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return gate.refuse('malformed_json', 'The body is not valid JSON.', 1);
  }
  const envelope = splitEnvelope(parsed);
  if ('error' in envelope) {
    const code: ErrorCode = envelope.status === 413 ? 'payload_too_large' : 'bad_request';
    return gate.refuse(code, upperFirst(envelope.error), 1);
  }
  // splitEnvelope wraps a single event as a one-element list holding the parsed body itself.
  const batchForm = !(envelope.events.length === 1 && envelope.events[0] === parsed);

  const plan = resolved.key.plan;
  const validation = validateEvents(envelope.events, {
    now,
    retentionDays: plan.retentionDays,
    generateId: () => uuidv7(now),
  });
  if (validation.valid.length === 0) {
    return gate.refuse(
      'validation_failed',
      batchForm ? 'No event in the batch is valid.' : 'The event is invalid.',
      validation.rejected.length,
      flattenRejected(validation.rejected, batchForm),
    );
  }

  const idempotencyKey = c.req.header('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
    return gate.refuse(
      'bad_request',
      'Idempotency-Key must be 1-255 printable ASCII characters.',
      validation.valid.length,
    );
  }

  const cf = cfOf(c);
  const events: QueuedEvent[] = validation.valid.map((e) => ({ ...e, receivedAt: now, ...cf }));
  const response = {
    accepted: events.length,
    rejected: validation.rejected,
    ids: events.map((e) => e.id),
  };
  const responseText = JSON.stringify(response);
  const result = await gate.admit({
    events: events.length,
    rejected: validation.rejected.length,
    bytes: bytes.length,
    idempotency: idempotencyKey
      ? { key: idempotencyKey, bodyHash: await sha256Hex(bytes), response: { status: 202, body: responseText } }
      : undefined,
  });

  if (result.outcome === 'replay') {
    return new Response(result.response.body, {
      status: result.response.status,
      headers: {
        'content-type': 'application/json',
        'idempotent-replayed': 'true',
        ...rateLimitHeadersOf(result.rateLimit),
      },
    });
  }
  if (result.outcome !== 'admitted') throw gate.refusal(result);

  // Queue send, awaited before answering: 202 means the events are on the queue.
  const tenantId = resolved.key.tenantId;
  const envelopeBytes = jsonBytes({
    type: 'events',
    v: 1,
    batchId: uuidv7(now),
    tenantId,
    events: [],
  } satisfies EventsMessage);
  const calls = packEventsForQueue(events, envelopeBytes);
  let sent = 0;
  let sendError: unknown;
  for (const call of calls) {
    try {
      await c.env.EVENTS.sendBatch(
        call.map((chunk) => ({
          body: { type: 'events', v: 1, batchId: uuidv7(), tenantId, events: chunk } satisfies EventsMessage,
          contentType: 'json' as const,
        })),
      );
    } catch (err) {
      sendError = err;
      break;
    }
    sent += call.reduce((n, chunk) => n + chunk.length, 0);
  }
  const rateLimit = rateLimitHeadersOf(result.rateLimit);

  if (sendError !== undefined) {
    services.logger.error('ingest: queue send failed', {
      tenant: tenantId,
      sent,
      total: events.length,
      error: sendError instanceof Error ? sendError.message : String(sendError),
    });
    const unsent = events.length - sent;
    const unsentBytes = Math.round((bytes.length * unsent) / events.length);
    if (sent === 0) {
      await gate.release(result, unsent, unsentBytes, idempotencyKey ? { key: idempotencyKey } : undefined);
      throw new ApiError('unavailable', 'The pipeline is unavailable; nothing was accepted. Retry later.', {
        headers: { 'Retry-After': PIPELINE_RETRY_AFTER, ...rateLimit },
      });
    }
    // Some messages are already on the queue and cannot be taken back: answer honestly with what was
    // accepted, and list the rest as rejected so the client retries exactly those.
    const partial = {
      accepted: sent,
      rejected: [
        ...validation.rejected,
        ...validation.validIndexes.slice(sent).map((index) => ({
          index,
          errors: [{ path: '', message: 'the pipeline is unavailable; retry this event' }],
        })),
      ].sort((a, b) => a.index - b.index),
      ids: response.ids.slice(0, sent),
    };
    const partialText = JSON.stringify(partial);
    await gate.release(
      result,
      unsent,
      unsentBytes,
      idempotencyKey ? { key: idempotencyKey, response: { status: 202, body: partialText } } : undefined,
    );
    return new Response(partialText, { status: 202, headers: { 'content-type': 'application/json', ...rateLimit } });
  }

  if (idempotencyKey) c.executionCtx.waitUntil(gate.commit(idempotencyKey));
  return new Response(responseText, { status: 202, headers: { 'content-type': 'application/json', ...rateLimit } });
}

/** The one TenantGate call of a request, plus the failure-path calls, with errors mapped to problems. */
export class GateClient {
  private readonly stub: DurableObjectStub<TenantGate>;
  private limits: GateLimits;

  constructor(
    private readonly c: AppContext,
    private readonly keyHash: string,
    private resolved: ResolvedKey,
  ) {
    this.stub = c.env.TENANT_GATE.getByName(resolved.key.tenantId);
    this.limits = limitsOf(resolved.key);
  }

  async admit(
    part: Pick<AdmitRequest, 'events' | 'rejected' | 'bytes' | 'idempotency'>,
  ): Promise<Exclude<AdmitResult, { outcome: 'unknown_key' | 'revoked' | 'forbidden' }>> {
    let result = await this.call(part);
    if (result.outcome === 'unknown_key') {
      // The gate never heard of this key (created before the gate existed): teach it from the database.
      const fresh = await resolveIngestKey(this.c.get('services'), this.keyHash, true).catch(() => null);
      if (!fresh || fresh.key.tenantId !== this.resolved.key.tenantId) {
        throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
      }
      this.resolved = fresh;
      this.limits = limitsOf(fresh.key);
      result = await this.call(part);
    }
    if (result.outcome === 'unknown_key' || result.outcome === 'revoked') {
      throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
    }
    if (result.outcome === 'forbidden') throw new ApiError('forbidden', 'The API key lacks the "ingest" scope.');
    return result;
  }

  /**
   * Refuses the request with a problem, after asking the gate (charging nothing) so the key is still
   * checked, the refusal is counted in usage, and the response carries the RateLimit-* headers.
   */
  async refuse(code: ErrorCode, detail: string, rejected: number, errors?: FieldError[]): Promise<never> {
    let headers: Record<string, string> = {};
    try {
      const result = await this.admit({ events: 0, rejected, bytes: 0 });
      if ('rateLimit' in result) headers = rateLimitHeadersOf(result.rateLimit);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The request is refused anyway: a gate hiccup must not turn a 4xx into a 5xx.
      this.c.get('logger').warn('ingest: gate check on refusal failed', { error: (err as Error).message });
    }
    throw new ApiError(code, detail, { ...(errors ? { errors } : {}), headers });
  }

  refusal(result: Exclude<AdmitResult, { outcome: 'admitted' | 'replay' | 'unknown_key' | 'revoked' | 'forbidden' }>) {
    const headers = rateLimitHeadersOf(result.rateLimit);
    switch (result.outcome) {
      case 'rate_limited':
        return new ApiError(
          'rate_limited',
          result.limit === 'tenant'
            ? `The tenant's rate limit (${this.limits.ratePerSec} events/s, burst ${this.limits.burst}) is exhausted.`
            : `The API key's rate limit (${this.limits.keyRatePerSec ?? this.limits.ratePerSec} events/s, burst ${this.limits.keyBurst ?? this.limits.burst}) is exhausted.`,
          { headers: { ...headers, 'Retry-After': String(result.retryAfterSeconds), 'RateLimit-Scope': result.limit } },
        );
      case 'quota_exceeded':
        return new ApiError('quota_exceeded', `The monthly event quota (${result.quota}) is used up.`, {
          headers: { ...headers, 'Retry-After': String(result.retryAfterSeconds), 'RateLimit-Scope': 'quota' },
        });
      case 'idempotency_mismatch':
        return new ApiError('unprocessable', 'This Idempotency-Key was already used with a different body.', {
          headers,
        });
      case 'idempotency_in_progress':
        return new ApiError('conflict', 'A request with this Idempotency-Key is still in progress.', {
          headers: { ...headers, 'Retry-After': '1' },
        });
      case 'checked':
        return new ApiError('internal', 'The gate checked a request it was asked to admit.');
    }
  }

  async release(
    admitted: Extract<AdmitResult, { outcome: 'admitted' }>,
    events: number,
    bytes: number,
    idempotency: { key: string; response?: { status: number; body: string } } | undefined,
  ): Promise<void> {
    try {
      await this.stub.release({
        keyHash: this.keyHash,
        limits: this.limits,
        events,
        bytes,
        day: admitted.day,
        month: admitted.month,
        idempotency,
      });
    } catch (err) {
      // Not releasing over-charges the tenant slightly; failing the request would be worse.
      this.c.get('logger').error('ingest: gate release failed', { error: (err as Error).message });
    }
  }

  async commit(idempotencyKey: string): Promise<void> {
    await this.stub.commitIdempotency(idempotencyKey).catch((err: Error) => {
      this.c.get('logger').warn('ingest: idempotency commit failed', { error: err.message });
    });
  }

  private async call(part: Pick<AdmitRequest, 'events' | 'rejected' | 'bytes' | 'idempotency'>): Promise<AdmitResult> {
    const key = this.resolved.key;
    try {
      return await this.stub.admit({
        tenantId: key.tenantId,
        keyHash: this.keyHash,
        scope: 'ingest',
        knownKey: this.resolved.fresh
          ? { keyHash: this.keyHash, keyId: key.keyId, scopes: key.scopes, revoked: key.revoked }
          : undefined,
        limits: this.limits,
        ...part,
      });
    } catch (err) {
      this.c.get('logger').error('ingest: gate call failed', { error: (err as Error).message });
      throw new ApiError('unavailable', 'Admission control is unavailable; nothing was accepted. Retry later.', {
        headers: { 'Retry-After': PIPELINE_RETRY_AFTER },
      });
    }
  }
}

function limitsOf(key: IngestKey): GateLimits {
  return {
    ratePerSec: key.plan.rateLimitPerSec,
    burst: key.plan.rateLimitBurst,
    monthlyQuota: key.plan.monthlyEventQuota,
  };
}

export function rateLimitHeadersOf(info: RateLimitInfo): Record<string, string> {
  return {
    'RateLimit-Limit': String(info.limit),
    'RateLimit-Remaining': String(info.remaining),
    'RateLimit-Reset': String(info.resetSeconds),
  };
}

/** The edge's own geo data for the request (absent in tests and some local runs). */
export function cfOf(c: AppContext): Pick<QueuedEvent, 'country' | 'region' | 'city' | 'colo' | 'asn'> {
  const cf = c.req.raw.cf as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  return {
    country: str(cf?.country),
    region: str(cf?.region),
    city: str(cf?.city),
    colo: str(cf?.colo),
    asn: typeof cf?.asn === 'number' && Number.isInteger(cf.asn) ? cf.asn : null,
  };
}

function flattenRejected(rejected: RejectedEvent[], batchForm: boolean): FieldError[] {
  return rejected.flatMap((r) =>
    r.errors.map((e) => ({
      path: batchForm ? `events.${r.index}${e.path ? `.${e.path}` : ''}` : e.path,
      message: e.message,
    })),
  );
}

function upperFirst(s: string): string {
  const t = s.endsWith('.') || s.endsWith(')') ? s : `${s}.`;
  return t.charAt(0).toUpperCase() + t.slice(1);
}
