import { createRoute } from '@hono/zod-openapi';
import { listDeadLetters } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { deadLetterList, deadLetterQuery, encodeDeadLetterCursor } from './schema';

const route = createRoute({
  method: 'get',
  path: '/v1/pipeline/dead-letters',
  tags: ['operations'],
  summary: "The tenant's dead letters (admin+), newest first",
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { query: deadLetterQuery },
  responses: {
    200: { description: 'Dead letters', content: { 'application/json': { schema: deadLetterList } } },
  },
});

/** `GET /v1/pipeline/dead-letters`: failed messages with reason and attempts. */
export function registerListDeadLetters(app: App): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const query = c.req.valid('query');
    const cursor = query.cursor;
    const rows = await listDeadLetters(c.get('services').db(), tenantId, {
      limit: query.limit + 1,
      before: cursor && 'before' in cursor ? cursor.before : undefined,
      after: cursor && 'after' in cursor ? cursor.after : undefined,
      pendingOnly: query.pending === 'true',
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return c.json(
      {
        data: page.map((r) => ({
          id: r.id,
          queue: r.queue,
          messageId: r.messageId,
          reason: r.reason,
          attempts: r.attempts,
          events: eventCount(r.body),
          createdAt: r.createdAt.toISOString(),
          redrivenAt: r.redrivenAt ? r.redrivenAt.toISOString() : null,
          redriveCount: r.redriveCount,
        })),
        nextCursor: rows.length > query.limit && last ? encodeDeadLetterCursor(last.position) : null,
      },
      200,
    );
  });
}

function eventCount(body: unknown): number {
  const events = typeof body === 'object' && body !== null ? (body as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? events.length : 0;
}
