import { createRoute } from '@hono/zod-openapi';
import { getReportSchedule } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_OR_KEY_SECURITY } from '../../lib/openapi';
import { presentSchedule, ReportScheduleSchema } from './schema';

export const getReportScheduleRoute = createRoute({
  method: 'get',
  path: '/v1/report-schedules/{id}',
  tags: ['reports'],
  summary: 'One report schedule, with its next and last run',
  security: USER_OR_KEY_SECURITY,
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { params: IdParamSchema },
  responses: {
    200: { description: 'The schedule', content: { 'application/json': { schema: ReportScheduleSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `GET /v1/report-schedules/:id` */
export function registerGetReportSchedule(app: App): void {
  app.openapi(getReportScheduleRoute, async (c) => {
    const schedule = await getReportSchedule(c.get('services').db(), principalOf(c).tenantId, c.req.valid('param').id);
    if (!schedule) throw new ApiError('not_found', 'No such report schedule.');
    return c.json(presentSchedule(schedule), 200);
  });
}
