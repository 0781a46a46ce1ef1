import { createRoute } from '@hono/zod-openapi';
import { getAlert } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses } from '../../lib/openapi';
import { AlertDetailSchema, presentAlertDetail } from './schema';

export const getAlertRoute = createRoute({
  method: 'get',
  path: '/v1/alerts/{id}',
  tags: ['alerting'],
  summary: 'One incident with its transitions and its notification deliveries (each attempt included)',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { params: IdParamSchema },
  responses: {
    200: { description: 'The incident', content: { 'application/json': { schema: AlertDetailSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `GET /v1/alerts/:id` */
export function registerGetAlert(app: App): void {
  app.openapi(getAlertRoute, async (c) => {
    const alert = await getAlert(c.get('services').db(), principalOf(c).tenantId, c.req.valid('param').id);
    if (!alert) throw new ApiError('not_found', 'No such alert.');
    return c.json(presentAlertDetail(alert), 200);
  });
}
