import { createRoute } from '@hono/zod-openapi';
import { createReportSchedule } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { reportBodyLimit, toReportFilter } from '../reports/schema';
import { CreateReportScheduleRequestSchema, firstRun, presentSchedule, ReportScheduleSchema } from './schema';

export const createReportScheduleRoute = createRoute({
  method: 'post',
  path: '/v1/report-schedules',
  tags: ['reports'],
  summary: 'Schedule a recurring report (member+)',
  description:
    'The cron is read in `timezone` (UTC by default). Each due run produces one report covering `range` ' +
    'up to the minute it was due; when it is ready, each channel in `channelIds` gets a `report.ready` ' +
    'notification with a signed download URL valid for 7 days; when it fails (more rows than one report may ' +
    'hold, or its last attempt failed), a `report.failed` notification with the error instead, once per run and ' +
    'channel. Channel ids are checked for shape only here; ' +
    'an id that names no channel of the tenant is skipped at delivery.',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), reportBodyLimit] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: CreateReportScheduleRequestSchema } } },
  },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: ReportScheduleSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

/** `POST /v1/report-schedules` */
export function registerCreateReportSchedule(app: App): void {
  app.openapi(createReportScheduleRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    // Validated even when disabled, so a stored schedule always has a cron that fires.
    const first = firstRun(body.cron, body.timezone, new Date());
    const nextRunAt = body.enabled ? first : null;
    const schedule = await createReportSchedule(c.get('services').db(), {
      tenantId: principal.tenantId,
      name: body.name ?? null,
      cron: body.cron.trim().split(/\s+/).join(' '),
      timezone: body.timezone,
      format: body.format,
      range: body.range,
      filter: toReportFilter(body.filter),
      channelIds: body.channelIds.map((id) => id.toLowerCase()),
      enabled: body.enabled,
      nextRunAt,
      createdBy: principal.id,
    });
    return c.json(presentSchedule(schedule), 201);
  });
}
