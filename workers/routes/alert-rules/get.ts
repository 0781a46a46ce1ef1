import { createRoute } from '@hono/zod-openapi';
import { getAlertRule } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { AlertRuleSchema, presentRule } from './schema';

export const getAlertRuleRoute = createRoute({
  method: 'get',
  path: '/v1/alert-rules/{id}',
  tags: ['alerting'],
  summary: 'One alert rule',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] })] as const,
  request: { params: IdParamSchema },
  responses: {
    200: { description: 'The rule', content: { 'application/json': { schema: AlertRuleSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `GET /v1/alert-rules/:id` */
export function registerGetAlertRule(app: App): void {
  app.openapi(getAlertRuleRoute, async (c) => {
    const rule = await getAlertRule(c.get('services').db(), principalOf(c).tenantId, c.req.valid('param').id);
    if (!rule) throw new ApiError('not_found', 'No such alert rule.');
    return c.json(presentRule(rule), 200);
  });
}
