import { createRoute } from '@hono/zod-openapi';
import { listAlertRules } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { AlertRuleListSchema, presentRule } from './schema';

export const listAlertRulesRoute = createRoute({
  method: 'get',
  path: '/v1/alert-rules',
  tags: ['alerting'],
  summary: 'The tenant’s alert rules, newest first',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] })] as const,
  responses: {
    200: { description: 'Rules', content: { 'application/json': { schema: AlertRuleListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/alert-rules` */
export function registerListAlertRules(app: App): void {
  app.openapi(listAlertRulesRoute, async (c) => {
    const rules = await listAlertRules(c.get('services').db(), principalOf(c).tenantId);
    return c.json({ data: rules.map(presentRule) }, 200);
  });
}
