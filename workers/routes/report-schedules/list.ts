import { createRoute } from '@hono/zod-openapi';
import { listReportSchedules } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { problemResponses, USER_OR_KEY_SECURITY } from '../../lib/openapi';
import { presentSchedule, ReportScheduleListSchema } from './schema';

export const listReportSchedulesRoute = createRoute({
  method: 'get',
  path: '/v1/report-schedules',
  tags: ['reports'],
  summary: 'The tenant’s report schedules, newest first',
  security: USER_OR_KEY_SECURITY,
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  responses: {
    200: { description: 'Schedules', content: { 'application/json': { schema: ReportScheduleListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/report-schedules` */
export function registerListReportSchedules(app: App): void {
  app.openapi(listReportSchedulesRoute, async (c) => {
    const schedules = await listReportSchedules(c.get('services').db(), principalOf(c).tenantId);
    return c.json({ data: schedules.map(presentSchedule) }, 200);
  });
}
