import { createRoute } from '@hono/zod-openapi';
import { getAlertRule, updateAlertRule } from '@pulsestream/db';
import { alertingBodyLimit, notifyHubOfAlertingChange } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { assertChannelsExist } from './create';
import { AlertRuleSchema, MergedRuleSchema, mergeRule, PatchRuleSchema, presentRule, toRuleInput } from './schema';

export const updateAlertRuleRoute = createRoute({
  method: 'patch',
  path: '/v1/alert-rules/{id}',
  tags: ['alerting'],
  summary: 'Change an alert rule (member+)',
  description:
    'Fields given replace the stored ones; the result is validated as a whole. An edit that leaves metric, filter, ' +
    'window, condition, for and recoverBelow unchanged keeps the rule’s state (an open incident stays open).',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), alertingBodyLimit] as const,
  request: {
    params: IdParamSchema,
    body: { required: true, content: { 'application/json': { schema: PatchRuleSchema } } },
  },
  responses: {
    200: { description: 'The changed rule', content: { 'application/json': { schema: AlertRuleSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `PATCH /v1/alert-rules/:id` */
export function registerUpdateAlertRule(app: App): void {
  app.openapi(updateAlertRuleRoute, async (c) => {
    const { tenantId } = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').db();
    const current = await getAlertRule(db, tenantId, id);
    if (!current) throw new ApiError('not_found', 'No such alert rule.');
    const parsed = MergedRuleSchema.safeParse(mergeRule(current, c.req.valid('json')));
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The rule would be invalid after this change.', {
        errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    await assertChannelsExist(db, tenantId, parsed.data.channelIds);
    const updated = await updateAlertRule(db, tenantId, id, toRuleInput(parsed.data));
    if (!updated) throw new ApiError('not_found', 'No such alert rule.');
    await notifyHubOfAlertingChange(c, tenantId);
    return c.json(presentRule(updated), 200);
  });
}
