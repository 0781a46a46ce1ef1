import { createRoute, z } from '@hono/zod-openapi';
import { validateEvents } from '@pulsestream/core/event-schema';
import {
  oversizedMessages,
  SEGMENT_MAX_BATCH_BYTES,
  SEGMENT_MAX_MESSAGE_BYTES,
  SEGMENT_TYPES,
  type SegmentType,
  segmentMessageToEvent,
  splitSegmentBody,
} from '@pulsestream/core/segment';
import { uuidv7 } from '@pulsestream/core/uuidv7';
import type { App, AppContext } from '../../lib/app';
import { presentedCredential } from '../../lib/auth';
import { ApiError, type FieldError } from '../../lib/errors';
import { admitAndQueue, openIngest, readBoundedBody } from '../../lib/ingest/compat-ingest';
import { decodeJson } from '../../lib/ingest/read-body';
import { problemResponse, rateLimitHeaders } from '../events/schema';

const segmentSuccess = z
  .object({
    success: z.literal(true),
    rejected: z
      .array(
        z.object({ index: z.number().int(), errors: z.array(z.object({ path: z.string(), message: z.string() })) }),
      )
      .optional()
      .openapi({ description: 'Messages not stored (absent when all were)' }),
  })
  .openapi('SegmentSuccess');

const segmentBody = z
  .object({
    batch: z.array(z.record(z.string(), z.unknown())).optional(),
    writeKey: z.string().optional(),
    sentAt: z.string().optional(),
  })
  .passthrough()
  .openapi('SegmentBody');

function routeFor(kind: SegmentType | 'batch') {
  return createRoute({
    method: 'post',
    path: `/v1/segment/v1/${kind}`,
    tags: ['ingestion'],
    summary: kind === 'batch' ? 'Segment-compatible batch ingestion' : `Segment-compatible ${kind}`,
    description:
      'Segment HTTP tracking API, for the Segment libraries unchanged (host = PulseStream base + `/v1/segment`). ' +
      'API key as the Basic username (`Authorization: Basic base64("<key>:")`), or Bearer / X-API-Key. ' +
      '`messageId` is the stored event id, so a resend is stored once and still answered 200. `track` → a ' +
      '`custom` event named by `event`; other types → `custom` events recording their type. `context.ip` and ' +
      '`context.userAgent` are dropped unless the query asks `?keep=ip,userAgent`. 32 KB per message, 500 KB ' +
      'per request → 400.',
    security: [{ apiKey: [] }],
    request: {
      query: z.object({ keep: z.string().optional().openapi({ example: 'ip,userAgent' }) }),
      body: { required: true, content: { 'application/json': { schema: segmentBody } } },
    },
    responses: {
      200: {
        description: 'Stored (or already stored)',
        headers: rateLimitHeaders,
        content: { 'application/json': { schema: segmentSuccess } },
      },
      400: problemResponse('Malformed body, a message over 32 KB, a request over 500 KB, or no valid message'),
      401: problemResponse('Missing, unknown or revoked API key'),
      403: problemResponse('The key lacks the ingest scope'),
      415: problemResponse('Not application/json'),
      429: problemResponse('Rate limit or monthly quota exceeded; see Retry-After'),
      503: problemResponse('The pipeline is unavailable; nothing was accepted'),
    },
  });
}

/** `POST /v1/segment/v1/batch` and `/v1/segment/v1/{track,identify,page,screen,group,alias}`. */
export function registerSegmentIngest(app: App): void {
  for (const kind of ['batch', ...SEGMENT_TYPES] as const) {
    // Documented from the route, handled by a plain handler: the body is read bounded, not by the validator.
    app.openAPIRegistry.registerPath(routeFor(kind));
    app.post(`/v1/segment/v1/${kind}`, (c) => ingestSegment(c, kind));
  }
}

/**
 * The key from `Authorization: Basic base64("<key>:")` (Segment's write-key auth), else the usual
 * Bearer / X-API-Key.
 */
function segmentCredential(c: AppContext): string | null {
  const authorization = c.req.header('authorization');
  const basic = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null;
  if (basic?.[1]) {
    let decoded: string;
    try {
      decoded = atob(basic[1]);
    } catch {
      throw new ApiError('unauthorized', 'The Basic credentials are not valid base64.');
    }
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    return user.length > 0 ? user : null;
  }
  return presentedCredential(c);
}

async function ingestSegment(c: AppContext, kind: SegmentType | 'batch'): Promise<Response> {
  const now = Date.now();
  const opened = await openIngest(c, segmentCredential(c));
  const { admission, resolved } = opened;

  const bytes = await readBoundedBody(c, opened, {
    contentType: { pattern: /^(application\/json|text\/plain)\s*(;|$)/i, detail: 'The body must be application/json.' },
    maxBytes: SEGMENT_MAX_BATCH_BYTES,
    tooLarge: 'bad_request',
    gzip: true,
    declaredSize: 'identity',
  });
  const parsed = decodeJson(bytes, 'The body is not valid UTF-8 JSON.');
  if (!parsed.ok) return admission.refuse(parsed.refusal, 1);
  const envelope = splitSegmentBody(parsed.value, kind);
  if ('error' in envelope)
    return admission.refuse({ code: 'bad_request', detail: `${upperFirst(envelope.error)}.` }, 1);
  const { messages } = envelope;

  const oversized = oversizedMessages(messages);
  if (oversized.length > 0) {
    return admission.refuse(
      {
        code: 'bad_request',
        detail: `${oversized.length} message(s) are over ${SEGMENT_MAX_MESSAGE_BYTES} bytes; nothing was stored.`,
        errors: oversized.map((i) => ({ path: kind === 'batch' ? `batch.${i}` : '', message: 'message over 32 KB' })),
      },
      messages.length,
    );
  }

  const keep = new Set((c.req.query('keep') ?? '').split(',').map((s) => s.trim()));
  const opts = { keepIp: keep.has('ip'), keepUserAgent: keep.has('userAgent') };
  const mapped = await Promise.all(messages.map((m) => segmentMessageToEvent(m, opts)));
  const candidates: unknown[] = [];
  const candidateIndex: number[] = [];
  const rejected: { index: number; errors: FieldError[] }[] = [];
  mapped.forEach((m, index) => {
    if ('error' in m) rejected.push({ index, errors: [{ path: '', message: m.error }] });
    else {
      candidates.push(m.event);
      candidateIndex.push(index);
    }
  });
  const validation = validateEvents(candidates, {
    now,
    retentionDays: resolved.key.plan.retentionDays,
    generateId: () => uuidv7(now),
  });
  for (const r of validation.rejected) {
    rejected.push({ index: candidateIndex[r.index] ?? r.index, errors: r.errors.map(toSegmentPath) });
  }
  rejected.sort((a, b) => a.index - b.index);
  if (validation.valid.length === 0) {
    return admission.refuse(
      {
        code: 'validation_failed',
        detail: messages.length === 1 ? 'The message is invalid.' : 'No message in the batch is valid.',
        errors: rejected.flatMap((r) =>
          r.errors.map((e) => ({
            path: kind === 'batch' ? `batch.${r.index}${e.path ? `.${e.path}` : ''}` : e.path,
            message: e.message,
          })),
        ),
      },
      rejected.length,
    );
  }

  const queued = await admitAndQueue(c, opened, validation.valid, rejected.length, bytes.length);
  const body = rejected.length > 0 ? { success: true, rejected } : { success: true };
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json', ...queued.headers },
  });
}

/** Paths of the stored event's fields, as the Segment message names them. */
function toSegmentPath(e: FieldError): FieldError {
  const path = e.path
    .replace(/^id$/, 'messageId')
    .replace(/^endpoint$/, 'event')
    .replace(/^properties\.(?!type$)/, '');
  return { path, message: e.message };
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
