import { createRoute } from '@hono/zod-openapi';
import { createSilence, getAlertRule } from '@pulsestream/db';
import { alertingBodyLimit, notifyHubOfAlertingChange } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { CreateSilenceSchema, presentSilence, SilenceSchema } from './schema';

export const createSilenceRoute = createRoute({
  method: 'post',
  path: '/v1/silences',
  tags: ['alerting'],
  summary: 'Silence notifications of matching alerts between startsAt and endsAt (member+)',
  description: 'All given matchers must match. Silenced alerts still record their transitions. Scoped to the tenant.',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), alertingBodyLimit] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateSilenceSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: SilenceSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

/** `POST /v1/silences` */
export function registerCreateSilence(app: App): void {
  app.openapi(createSilenceRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    const db = c.get('services').db();
    if (body.matchers.ruleId && !(await getAlertRule(db, principal.tenantId, body.matchers.ruleId))) {
      throw new ApiError('validation_failed', 'The request body is invalid.', {
        errors: [{ path: 'matchers.ruleId', message: `no alert rule ${body.matchers.ruleId}` }],
      });
    }
    const silence = await createSilence(db, {
      tenantId: principal.tenantId,
      ruleId: body.matchers.ruleId ?? null,
      source: body.matchers.source ?? null,
      severity: body.matchers.severity ?? null,
      startsAt: body.startsAt,
      endsAt: body.endsAt,
      comment: body.comment,
      createdBy: principal.id,
    });
    await notifyHubOfAlertingChange(c, principal.tenantId);
    return c.json(presentSilence(silence), 201);
  });
}
