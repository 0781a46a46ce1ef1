import { createRoute, z } from '@hono/zod-openapi';
import { validateEvents } from '@pulsestream/core/event-schema';
import {
  type DecodedSpan,
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
  mapSpans,
  OtlpDecodeError,
  type PartialSuccess,
  TooManySpansError,
} from '@pulsestream/core/otlp-traces';
import type { App, AppContext } from '../../lib/app';
import { presentedCredential } from '../../lib/auth';
import { admitAndQueue, openIngest, readBoundedBody } from '../../lib/ingest/compat-ingest';
import { decodeJson } from '../../lib/ingest/read-body';
import { problemResponse, rateLimitHeaders } from '../events/schema';

/** Decompressed body bound: an exporter's default batch (512 spans) is far below it. */
export const OTLP_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const OTLP_MAX_SPANS = 10_000;

const partialSuccess = z
  .object({
    partialSuccess: z
      .object({ rejectedSpans: z.number().int(), errorMessage: z.string() })
      .optional()
      .openapi({ description: 'Present when spans were rejected (counted) or skipped (named in errorMessage)' }),
  })
  .openapi('ExportTraceServiceResponse');

const route = createRoute({
  method: 'post',
  path: '/v1/otlp/v1/traces',
  tags: ['ingestion'],
  summary: 'OTLP/HTTP trace export',
  description:
    'An `ExportTraceServiceRequest` as `application/json` or `application/x-protobuf`, gzip allowed, chunked ' +
    'bodies bounded as they are read (4 MiB after decompression, 10,000 spans). API key (ingest scope) as ' +
    'Bearer or `x-api-key`. CLIENT and SERVER spans with HTTP semantic conventions become `api_call` events ' +
    '(id `otel-<traceId>-<spanId>`, so resends dedupe); other spans are skipped and counted in ' +
    "`partialSuccess.errorMessage`. The answer is in the request's own format.",
  security: [{ apiKey: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ resourceSpans: z.array(z.unknown()) }).openapi('ExportTraceServiceRequest'),
        },
        'application/x-protobuf': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
  },
  responses: {
    200: {
      description: 'Accepted (spans that could not be stored are counted in partialSuccess)',
      headers: rateLimitHeaders,
      content: {
        'application/json': { schema: partialSuccess },
        'application/x-protobuf': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    400: problemResponse('Malformed JSON or protobuf, invalid gzip, or no span could be stored'),
    401: problemResponse('Missing, unknown or revoked API key'),
    403: problemResponse('The key lacks the ingest scope'),
    413: problemResponse('Body over 4 MiB after decompression, or more than 10,000 spans'),
    415: problemResponse('Neither application/json nor application/x-protobuf'),
    429: problemResponse('Rate limit or monthly quota exceeded; see Retry-After'),
    503: problemResponse('The pipeline is unavailable; nothing was accepted'),
  },
});

/** `POST /v1/otlp/v1/traces`. */
export function registerOtlpTraces(app: App): void {
  // Documented from the route, handled by a plain handler: the body is read bounded and may be protobuf.
  app.openAPIRegistry.registerPath(route);
  app.post(route.path, (c) => ingestTraces(c));
}

async function ingestTraces(c: AppContext): Promise<Response> {
  const now = Date.now();
  const opened = await openIngest(c, presentedCredential(c));
  const { admission, resolved } = opened;

  const contentType = (c.req.header('content-type') ?? '').trim().toLowerCase();
  const format = /^application\/json\s*(;|$)/.test(contentType)
    ? 'json'
    : /^application\/(x-)?protobuf\s*(;|$)/.test(contentType)
      ? 'protobuf'
      : null;
  if (!format) {
    return admission.refuse(
      { code: 'unsupported_media_type', detail: 'The body must be application/json or application/x-protobuf.' },
      1,
    );
  }
  const bytes = await readBoundedBody(c, opened, {
    maxBytes: OTLP_MAX_BODY_BYTES,
    tooLarge: 'payload_too_large',
    gzip: true,
    declaredSize: 'identity',
  });

  let spans: DecodedSpan[];
  try {
    if (format === 'protobuf') spans = decodeTracesProtobuf(bytes, OTLP_MAX_SPANS);
    else {
      const parsed = decodeJson(bytes, 'The body is not valid UTF-8 JSON.');
      if (!parsed.ok) return admission.refuse(parsed.refusal, 1);
      spans = decodeTracesJson(parsed.value, OTLP_MAX_SPANS);
    }
  } catch (err) {
    if (err instanceof TooManySpansError) {
      return admission.refuse(
        { code: 'payload_too_large', detail: `At most ${OTLP_MAX_SPANS} spans are accepted per request.` },
        1,
      );
    }
    if (err instanceof OtlpDecodeError)
      return admission.refuse({ code: 'bad_request', detail: `${upperFirst(err.message)}.` }, 1);
    throw err;
  }

  const mapping = mapSpans(spans);
  const validation = validateEvents(mapping.events, {
    now,
    retentionDays: resolved.key.plan.retentionDays,
    generateId: () => crypto.randomUUID(),
  });
  const reasons = [
    ...mapping.rejected.map((r) => `span ${r.index}: ${r.reason}`),
    ...validation.rejected.map(
      (r) =>
        `span ${mapping.spanIndexes[r.index]}: ${r.errors.map((e) => `${e.path || 'span'} ${e.message}`).join('; ')}`,
    ),
  ];
  const rejectedSpans = reasons.length;
  if (validation.valid.length === 0 && rejectedSpans > 0) {
    return admission.refuse(
      {
        code: 'validation_failed',
        detail: `No span could be stored: ${reasons.slice(0, 3).join(' | ')}.`,
        errors: reasons.slice(0, 20).map((message) => ({ path: 'resourceSpans', message })),
      },
      rejectedSpans,
    );
  }

  const queued = await admitAndQueue(c, opened, validation.valid, rejectedSpans, bytes.length);
  const messages: string[] = [];
  if (rejectedSpans > 0) messages.push(`${rejectedSpans} span(s) rejected: ${reasons.slice(0, 5).join(' | ')}`);
  if (mapping.skipped > 0) {
    messages.push(`${mapping.skipped} span(s) without HTTP client/server semantics were skipped (not stored)`);
  }
  const partial: PartialSuccess | null =
    messages.length > 0 ? { rejectedSpans, errorMessage: messages.join('; ') } : null;
  const headers = { ...queued.headers };
  if (format === 'protobuf') {
    return new Response(encodeTraceResponseProtobuf(partial), {
      status: 200,
      headers: { 'content-type': 'application/x-protobuf', ...headers },
    });
  }
  return new Response(encodeTraceResponseJson(partial), {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
