import { createRoute } from '@hono/zod-openapi';
import { sha256Hex } from '@pulsestream/core/auth';
import { MAX_BODY_BYTES, type RejectedEvent, splitEnvelope, validateEvents } from '@pulsestream/core/event-schema';
import { uuidv7 } from '@pulsestream/core/uuidv7';
import type { QueuedEvent } from '../../consumers/messages';
import type { App, AppContext } from '../../lib/app';
import { presentedCredential } from '../../lib/auth';
import { ApiError, type FieldError } from '../../lib/errors';
import { edgeGeoOf } from '../../lib/ingest/edge-geo';
import { type IngestAnswer, queueAndAnswer, queuedEventsBytesAtMost } from '../../lib/ingest/enqueue';
import { openIngest } from '../../lib/ingest/open-ingest';
import { type BodyRules, decodeJson, readBody } from '../../lib/ingest/read-body';
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
const BODY_RULES: BodyRules = {
  contentType: { pattern: /^application\/json\s*(;|$)/i, detail: 'The body must be application/json.' },
  maxBytes: MAX_BODY_BYTES,
  tooLarge: 'payload_too_large',
  gzip: true,
  declaredSize: 'any',
};

/** `POST /v1/events`: key, bounded body, validation, one admission call, enrichment, queue, 202. */
export function registerIngestEvents(app: App): void {
  // Documented from the route, handled by a plain handler: the body must be bounded and decompressed
  // before anything parses it, so the OpenAPI JSON validator (which reads the whole body) must not run.
  app.openAPIRegistry.registerPath(route);
  app.post(route.path, (c) => ingest(c));
}

async function ingest(c: AppContext): Promise<Response> {
  const now = Date.now();
  const { admission, resolved } = await openIngest(c, presentedCredential(c));

  // Bounds before parsing; every refusal still makes the request's one admission call (key check, usage).
  const body = await readBody(c.req.raw, BODY_RULES);
  if (!body.ok) return admission.refuse(body.refusal, 1);
  const bytes = body.value;
  const json = decodeJson(bytes);
  if (!json.ok) return admission.refuse(json.refusal, 1);
  const envelope = splitEnvelope(json.value);
  if ('error' in envelope) {
    const code = envelope.status === 413 ? 'payload_too_large' : 'bad_request';
    return admission.refuse({ code, detail: upperFirst(envelope.error) }, 1);
  }
  // splitEnvelope wraps a single event as a one-element list holding the parsed body itself.
  const batchForm = !(envelope.events.length === 1 && envelope.events[0] === json.value);

  const validation = validateEvents(envelope.events, {
    now,
    retentionDays: resolved.key.plan.retentionDays,
    generateId: () => uuidv7(now),
  });
  const { valid, rejected } = validation;
  if (valid.length === 0) {
    const detail = batchForm ? 'No event in the batch is valid.' : 'The event is invalid.';
    const errors = flattenRejected(rejected, batchForm);
    return admission.refuse({ code: 'validation_failed', detail, errors }, rejected.length);
  }
  const idempotencyKey = c.req.header('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
    const detail = 'Idempotency-Key must be 1-255 printable ASCII characters.';
    return admission.refuse({ code: 'bad_request', detail }, valid.length);
  }

  const geo = edgeGeoOf(c.req.raw);
  const events: QueuedEvent[] = valid.map((e) => ({ ...e, receivedAt: now, ...geo }));
  const answer: IngestAnswer = { accepted: events.length, rejected, ids: events.map((e) => e.id) };
  const answerText = JSON.stringify(answer);
  const admitted = await admission.admit({
    events: events.length,
    rejected: rejected.length,
    bytes: bytes.length,
    idempotency: idempotencyKey
      ? { key: idempotencyKey, bodyHash: await sha256Hex(bytes), response: { status: 202, body: answerText } }
      : undefined,
  });
  if (admitted.outcome === 'replay') {
    const { status, body: replayed } = admitted.response;
    const headers = { 'content-type': 'application/json', 'idempotent-replayed': 'true', ...admitted.headers };
    return new Response(replayed, { status, headers });
  }
  if (admitted.outcome !== 'admitted')
    throw new ApiError('internal', 'The gate checked a request it was asked to admit.');

  const deps = { queue: c.env.EVENTS, admission, logger: c.get('logger'), waitUntil: waitUntilOf(c) };
  return queueAndAnswer(deps, admitted.receipt, admitted.headers, {
    tenantId: resolved.key.tenantId,
    events,
    answer,
    answerText,
    validIndexes: validation.validIndexes,
    bytes: bytes.length,
    idempotencyKey,
    now,
    eventsBytesAtMost: queuedEventsBytesAtMost(geo, validation.validJsonBytes),
  });
}

function waitUntilOf(c: AppContext): (promise: Promise<unknown>) => void {
  return (promise) => c.executionCtx.waitUntil(promise);
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
