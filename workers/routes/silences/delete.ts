import { createRoute } from '@hono/zod-openapi';
import { deleteSilence } from '@pulsestream/db';
import { notifyHubOfAlertingChange } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';

export const deleteSilenceRoute = createRoute({
  method: 'delete',
  path: '/v1/silences/{id}',
  tags: ['alerting'],
  summary: 'Delete a silence (member+); notifications resume from the next transition',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
});

/** `DELETE /v1/silences/:id` */
export function registerDeleteSilence(app: App): void {
  app.openapi(deleteSilenceRoute, async (c) => {
    const { tenantId } = principalOf(c);
    if (!(await deleteSilence(c.get('services').db(), tenantId, c.req.valid('param').id))) {
      throw new ApiError('not_found', 'No such silence.');
    }
    await notifyHubOfAlertingChange(c, tenantId);
    return c.body(null, 204);
  });
}
