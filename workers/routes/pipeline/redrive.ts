import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { redriveDeadLetters } from '../../lib/pipeline';
import { redriveResult } from './schema';

const route = createRoute({
  method: 'post',
  path: '/v1/pipeline/redrive',
  tags: ['operations'],
  summary: "Re-enqueue the tenant's pending dead letters (admin+); idempotent",
  description:
    'Each pending dead letter is claimed and sent back to its queue once; calling again re-sends nothing ' +
    'that was already redriven. Storing events is idempotent, so a redriven batch never duplicates rows.',
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  responses: {
    200: { description: 'What this call re-enqueued', content: { 'application/json': { schema: redriveResult } } },
  },
});

/** `POST /v1/pipeline/redrive`. */
export function registerRedrive(app: App): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const result = await redriveDeadLetters(c.get('services'), c.env, { tenantId, limit: 1000 });
    c.get('logger').info('pipeline: redrive', { tenant: tenantId, ...result });
    return c.json(result, 200);
  });
}
