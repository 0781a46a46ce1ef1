import { createRoute, z } from '@hono/zod-openapi';
import { checkFilterText, MAX_INSTANT_MS } from '@pulsestream/core/query-values';
import { type EventCursor, listEvents } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { filterText, timeParam } from '../../lib/query-params';

/** Largest page; the default is 100. */
export const MAX_EVENT_PAGE = 1_000;

const querySchema = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  source: filterText(256).optional(),
  endpoint: filterText(512).optional(),
  status: z
    .string()
    .regex(/^([1-5]\d\d|[1-5]xx)$/, 'must be a status code (e.g. 503) or a class (e.g. 5xx)')
    .optional()
    .openapi({ example: '5xx' }),
  type: filterText(64).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_EVENT_PAGE).default(100),
  cursor: z.string().max(512).optional(),
});

const eventSchema = z
  .object({
    id: z.string(),
    timestamp: z.string(),
    receivedAt: z.string(),
    type: z.string(),
    source: z.string(),
    endpoint: z.string().nullable(),
    method: z.string().nullable(),
    status: z.number().nullable(),
    latencyMs: z.number().nullable(),
    country: z.string().nullable(),
    region: z.string().nullable(),
    city: z.string().nullable(),
    colo: z.string().nullable(),
    asn: z.number().nullable(),
    properties: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('StoredEvent');

const pageSchema = z.object({ data: z.array(eventSchema), nextCursor: z.string().nullable() }).openapi('EventPage');

const route = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['events'],
  summary: 'Stored events, newest first, with an opaque keyset cursor',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: querySchema },
  responses: {
    200: { description: 'One page of events', content: { 'application/json': { schema: pageSchema } } },
  },
});

// The cursor is opaque to clients: base64url of a versioned JSON position. It carries no tenant, so a
// cursor from another tenant only names a position, and the query is still scoped by the credential.
function encodeCursor(cursor: EventCursor): string {
  return btoa(JSON.stringify({ v: 1, t: cursor.tsMicros, i: cursor.id }))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeCursor(value: string): EventCursor {
  try {
    const json = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
    const parsed = JSON.parse(json) as { v?: unknown; t?: unknown; i?: unknown };
    if (
      parsed.v === 1 &&
      typeof parsed.t === 'string' &&
      /^-?\d{1,18}$/.test(parsed.t) &&
      Math.abs(Number(parsed.t)) <= MAX_INSTANT_MS * 1000 &&
      typeof parsed.i === 'string' &&
      parsed.i.length <= 64 &&
      checkFilterText(parsed.i).ok
    ) {
      return { tsMicros: parsed.t, id: parsed.i };
    }
  } catch {
    // fall through to the client error below
  }
  throw new ApiError('validation_failed', 'The request query is invalid.', {
    errors: [{ path: 'cursor', message: 'not a cursor returned by this API' }],
  });
}

/** `GET /v1/events`: registered by the route table next to the ingestion group's own routes. */
export function registerEventList(app: App): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const { tenantId } = principalOf(c);
    if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
      throw new ApiError('bad_request', '"from" must be before "to".');
    }
    const status = query.status
      ? query.status.endsWith('xx')
        ? { class: Number(query.status.charAt(0)) }
        : { exact: Number(query.status) }
      : undefined;
    const page = await listEvents(c.get('services').db(), {
      tenantId,
      from: query.from,
      to: query.to,
      source: query.source,
      endpoint: query.endpoint,
      type: query.type,
      status,
      limit: query.limit,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    return c.json({ data: page.events, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
  });
}
