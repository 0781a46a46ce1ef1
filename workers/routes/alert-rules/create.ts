import { createRoute } from '@hono/zod-openapi';
import { createAlertRule, missingChannelIds } from '@pulsestream/db';
import { alertingBodyLimit, notifyHubOfAlertingChange } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { AlertRuleSchema, CreateRuleSchema, presentRule, toRuleInput } from './schema';

export const createAlertRuleRoute = createRoute({
  method: 'post',
  path: '/v1/alert-rules',
  tags: ['alerting'],
  summary: 'Create an alert rule (member+)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), alertingBodyLimit] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateRuleSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: AlertRuleSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

/** Refuses channel ids that are not the tenant's own (another tenant's id reads as unknown). */
export async function assertChannelsExist(
  db: Parameters<typeof missingChannelIds>[0],
  tenantId: string,
  ids: string[],
) {
  const missing = await missingChannelIds(db, tenantId, ids);
  if (missing.length > 0) {
    throw new ApiError('validation_failed', 'The request body is invalid.', {
      errors: missing.map((id) => ({ path: `channelIds.${ids.indexOf(id)}`, message: `no channel ${id}` })),
    });
  }
}

/** `POST /v1/alert-rules` */
export function registerCreateAlertRule(app: App): void {
  app.openapi(createAlertRuleRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    const db = c.get('services').db();
    await assertChannelsExist(db, principal.tenantId, body.channelIds);
    const rule = await createAlertRule(db, principal.tenantId, principal.id, toRuleInput(body));
    await notifyHubOfAlertingChange(c, principal.tenantId);
    return c.json(presentRule(rule), 201);
  });
}
