import { createRoute, z } from '@hono/zod-openapi';
import { DEFAULT_DOWNLOAD_TTL_SECONDS, MAX_DOWNLOAD_TTL_SECONDS } from '@pulsestream/core/reports';
import { getReport } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_OR_KEY_SECURITY } from '../../lib/openapi';
import { reportDownloadLink } from '../../lib/report-links';
import { presentReport, ReportSchema } from './schema';

const querySchema = z.object({
  expiresIn: z.coerce
    .number()
    .int()
    .min(60)
    .max(MAX_DOWNLOAD_TTL_SECONDS)
    .default(DEFAULT_DOWNLOAD_TTL_SECONDS)
    .openapi({ description: 'Lifetime of the download URL in seconds: 60 to 604800 (7 days), default 900' }),
});

export const getReportRoute = createRoute({
  method: 'get',
  path: '/v1/reports/{id}',
  tags: ['reports'],
  summary: 'A report’s status; when ready, its size and a signed download URL',
  description:
    'Each call signs a fresh `downloadUrl` (HMAC-SHA256 over report id, tenant and expiry) valid until ' +
    '`expiresAt`. The URL needs no credential: hand it to whoever should download the file.',
  security: USER_OR_KEY_SECURITY,
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { params: IdParamSchema, query: querySchema },
  responses: {
    200: { description: 'The report', content: { 'application/json': { schema: ReportSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `GET /v1/reports/:id` */
export function registerGetReport(app: App): void {
  app.openapi(getReportRoute, async (c) => {
    const { tenantId } = principalOf(c);
    const { id } = c.req.valid('param');
    const { expiresIn } = c.req.valid('query');
    const report = await getReport(c.get('services').db(), tenantId, id);
    if (!report) throw new ApiError('not_found', 'No such report.');
    const body = presentReport(report);
    if (report.status !== 'ready') return c.json(body, 200);
    const link = await reportDownloadLink(c.get('services').config, new URL(c.req.url).origin, report, expiresIn);
    return c.json({ ...body, downloadUrl: link.downloadUrl, expiresAt: link.expiresAt.toISOString() }, 200);
  });
}
