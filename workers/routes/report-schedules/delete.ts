import { createRoute } from '@hono/zod-openapi';
import { deleteReportSchedule } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';

export const deleteReportScheduleRoute = createRoute({
  method: 'delete',
  path: '/v1/report-schedules/{id}',
  tags: ['reports'],
  summary: 'Delete a report schedule (member+); reports it already produced stay',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
});

/** `DELETE /v1/report-schedules/:id` */
export function registerDeleteReportSchedule(app: App): void {
  app.openapi(deleteReportScheduleRoute, async (c) => {
    const deleted = await deleteReportSchedule(
      c.get('services').db(),
      principalOf(c).tenantId,
      c.req.valid('param').id,
    );
    if (!deleted) throw new ApiError('not_found', 'No such report schedule.');
    return c.body(null, 204);
  });
}
