import { createRoute } from '@hono/zod-openapi';
import { deleteAlertRule } from '@pulsestream/db';
import { notifyHubOfAlertingChange } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';

export const deleteAlertRuleRoute = createRoute({
  method: 'delete',
  path: '/v1/alert-rules/{id}',
  tags: ['alerting'],
  summary: 'Delete an alert rule (member+); its incident history stays',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
});

/** `DELETE /v1/alert-rules/:id` */
export function registerDeleteAlertRule(app: App): void {
  app.openapi(deleteAlertRuleRoute, async (c) => {
    const { tenantId } = principalOf(c);
    const deleted = await deleteAlertRule(c.get('services').db(), tenantId, c.req.valid('param').id);
    if (!deleted) throw new ApiError('not_found', 'No such alert rule.');
    await notifyHubOfAlertingChange(c, tenantId);
    return c.body(null, 204);
  });
}
