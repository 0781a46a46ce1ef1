import { createRoute, z } from '@hono/zod-openapi';
import { isUuid } from '@pulsestream/core/uuid';
import { listAlerts } from '@pulsestream/db';
import { instantSchema } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses } from '../../lib/openapi';
import { AlertPageSchema, AlertStateSchema, presentAlert } from './schema';

const querySchema = z.object({
  state: AlertStateSchema.optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const listAlertsRoute = createRoute({
  method: 'get',
  path: '/v1/alerts',
  tags: ['alerting'],
  summary: 'Incidents, newest first, by state and start time, with an opaque keyset cursor',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: querySchema },
  responses: {
    200: { description: 'One page of incidents', content: { 'application/json': { schema: AlertPageSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

// Opaque to clients: base64url of a versioned position (started_at in ms, id). It names a position only; the
// query stays scoped by the credential's tenant.
function encodeCursor(startedAt: Date, id: string): string {
  return btoa(JSON.stringify({ v: 1, t: startedAt.getTime(), i: id }))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeCursor(value: string): { startedAt: Date; id: string } {
  try {
    const parsed = JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/'))) as {
      v?: unknown;
      t?: unknown;
      i?: unknown;
    };
    if (
      parsed.v === 1 &&
      typeof parsed.t === 'number' &&
      Number.isSafeInteger(parsed.t) &&
      Math.abs(parsed.t) < 8.64e15 &&
      typeof parsed.i === 'string' &&
      isUuid(parsed.i)
    ) {
      return { startedAt: new Date(parsed.t), id: parsed.i };
    }
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError('validation_failed', 'The request query is invalid.', {
    errors: [{ path: 'cursor', message: 'not a cursor returned by this endpoint' }],
  });
}

/** `GET /v1/alerts` */
export function registerListAlerts(app: App): void {
  app.openapi(listAlertsRoute, async (c) => {
    const q = c.req.valid('query');
    if (q.from && q.to && q.from >= q.to) {
      throw new ApiError('validation_failed', 'The request query is invalid.', {
        errors: [{ path: 'from', message: 'must be before to' }],
      });
    }
    const rows = await listAlerts(c.get('services').db(), principalOf(c).tenantId, {
      state: q.state,
      from: q.from,
      to: q.to,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit && last ? encodeCursor(last.startedAt, last.id) : null;
    return c.json({ data: page.map(presentAlert), nextCursor }, 200);
  });
}
