import { createRoute } from '@hono/zod-openapi';
import { acknowledgeAlertRecord } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { AlertSchema, presentAlert } from './schema';

export const ackAlertRoute = createRoute({
  method: 'post',
  path: '/v1/alerts/{id}/ack',
  tags: ['alerting'],
  summary: 'Acknowledge a firing incident (member+); idempotent',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: {
    200: { description: 'The acknowledged incident', content: { 'application/json': { schema: AlertSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

/** `POST /v1/alerts/:id/ack` */
export function registerAckAlert(app: App): void {
  app.openapi(ackAlertRoute, async (c) => {
    const principal = principalOf(c);
    const result = await acknowledgeAlertRecord(
      c.get('services').db(),
      principal.tenantId,
      c.req.valid('param').id,
      principal.id,
    );
    if (result === null) throw new ApiError('not_found', 'No such alert.');
    if (result === 'resolved')
      throw new ApiError('conflict', 'The alert is resolved; only a firing alert can be acknowledged.');
    if (result.changed) {
      try {
        await c.env.TENANT_HUB.getByName(principal.tenantId).acknowledgeAlert(result.alert.ruleId, result.alert.id);
      } catch (err) {
        // The database is the record; the hub's flag only feeds the live view and the exposition.
        c.get('logger').warn('alerting: hub ack failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    return c.json(presentAlert(result.alert), 200);
  });
}
