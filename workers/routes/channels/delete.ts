import { createRoute } from '@hono/zod-openapi';
import { deleteChannel } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';

export const deleteChannelRoute = createRoute({
  method: 'delete',
  path: '/v1/channels/{id}',
  tags: ['alerting'],
  summary: 'Delete a channel (member+); deliveries still queued for it fail as "channel no longer exists"',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
});

/** `DELETE /v1/channels/:id` */
export function registerDeleteChannel(app: App): void {
  app.openapi(deleteChannelRoute, async (c) => {
    if (!(await deleteChannel(c.get('services').db(), principalOf(c).tenantId, c.req.valid('param').id))) {
      throw new ApiError('not_found', 'No such channel.');
    }
    return c.body(null, 204);
  });
}
