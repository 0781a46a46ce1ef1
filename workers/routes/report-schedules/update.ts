import { createRoute } from '@hono/zod-openapi';
import { getReportSchedule, type ReportScheduleChange, updateReportSchedule } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { reportBodyLimit, toReportFilter } from '../reports/schema';
import { firstRun, presentSchedule, ReportScheduleSchema, UpdateReportScheduleRequestSchema } from './schema';

export const updateReportScheduleRoute = createRoute({
  method: 'patch',
  path: '/v1/report-schedules/{id}',
  tags: ['reports'],
  summary: 'Change a report schedule (member+)',
  description:
    'Any subset of the fields. Changing `cron` or `timezone`, or enabling the schedule, recomputes `nextRunAt` ' +
    'from now; disabling clears it. Reports already produced are not changed.',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), reportBodyLimit] as const,
  request: {
    params: IdParamSchema,
    body: { required: true, content: { 'application/json': { schema: UpdateReportScheduleRequestSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: ReportScheduleSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `PATCH /v1/report-schedules/:id` */
export function registerUpdateReportSchedule(app: App): void {
  app.openapi(updateReportScheduleRoute, async (c) => {
    const { tenantId } = principalOf(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const db = c.get('services').db();
    const current = await getReportSchedule(db, tenantId, id);
    if (!current) throw new ApiError('not_found', 'No such report schedule.');
    const change: ReportScheduleChange = {};
    if (body.name !== undefined) change.name = body.name;
    if (body.format !== undefined) change.format = body.format;
    if (body.range !== undefined) change.range = body.range;
    if (body.filter !== undefined) change.filter = toReportFilter(body.filter);
    if (body.channelIds !== undefined) change.channelIds = body.channelIds.map((i) => i.toLowerCase());
    if (body.enabled !== undefined) change.enabled = body.enabled;
    const cron = body.cron === undefined ? current.cron : body.cron.trim().split(/\s+/).join(' ');
    const timezone = body.timezone ?? current.timezone;
    const enabled = body.enabled ?? current.enabled;
    const timingChanged = body.cron !== undefined || body.timezone !== undefined;
    if (timingChanged) {
      change.cron = cron;
      change.timezone = timezone;
    }
    if (timingChanged || body.enabled !== undefined) {
      const next = firstRun(cron, timezone, new Date());
      // Re-enabling an enabled schedule keeps its claim marker, so a PATCH never makes a due run fire twice.
      if (!enabled) change.nextRunAt = null;
      else if (timingChanged || !current.enabled) change.nextRunAt = next;
    }
    const updated = await updateReportSchedule(db, tenantId, id, change);
    if (!updated) throw new ApiError('not_found', 'No such report schedule.');
    return c.json(presentSchedule(updated), 200);
  });
}
