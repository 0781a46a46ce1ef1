import { createRoute } from '@hono/zod-openapi';
import { checkReportRange, type ReportJobMessage } from '@pulsestream/core/reports';
import { createReport, deleteReports } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { CreatedReportSchema, CreateReportRequestSchema, reportBodyLimit, toReportFilter } from './schema';

export const createReportRoute = createRoute({
  method: 'post',
  path: '/v1/reports',
  tags: ['reports'],
  summary: 'Request a CSV or Parquet report of events (member+)',
  description:
    'Records the report as queued and hands it to the reports queue. The range is at most 31 days, ' +
    '`from` inclusive and `to` exclusive. Poll `GET /v1/reports/{id}` until it is ready. A report holds at most ' +
    '10,000,000 rows: a range and filter that hold more end `failed` with the reason.',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), reportBodyLimit] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateReportRequestSchema } } } },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: CreatedReportSchema } } },
    ...problemResponses(400, 401, 403, 503),
  },
});

/** `POST /v1/reports` */
export function registerCreateReport(app: App): void {
  app.openapi(createReportRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    const problem = checkReportRange(body.from, body.to);
    if (problem)
      throw new ApiError('validation_failed', 'The request body is invalid.', {
        errors: [{ path: 'to', message: problem }],
      });
    const db = c.get('services').db();
    const report = await createReport(db, {
      tenantId: principal.tenantId,
      format: body.format,
      from: body.from,
      to: body.to,
      filter: toReportFilter(body.filter),
      requestedBy: principal.id,
    });
    const message: ReportJobMessage = {
      type: 'report.generate',
      v: 1,
      tenantId: principal.tenantId,
      reportId: report.id,
    };
    try {
      await c.env.REPORTS.send(message);
    } catch (err) {
      c.get('logger').error('reports: enqueue failed', {
        report: report.id,
        error: err instanceof Error ? err.message : String(err),
      });
      // The client never learns this id, so the row goes too instead of waiting to be failed as stuck.
      await deleteReports(db, [report.id]);
      throw new ApiError('unavailable', 'The report could not be queued; retry the request.');
    }
    return c.json({ id: report.id, status: 'queued' as const }, 202);
  });
}
