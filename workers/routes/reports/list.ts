import { createRoute, z } from '@hono/zod-openapi';
import { listReports } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { problemResponses, USER_OR_KEY_SECURITY } from '../../lib/openapi';
import { presentReport, ReportSchema } from './schema';

const querySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export const listReportsRoute = createRoute({
  method: 'get',
  path: '/v1/reports',
  tags: ['reports'],
  summary: 'The tenant’s reports, newest first (without download URLs: get one report for its URL)',
  security: USER_OR_KEY_SECURITY,
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: querySchema },
  responses: {
    200: {
      description: 'Reports',
      content: { 'application/json': { schema: z.object({ data: z.array(ReportSchema) }).openapi('ReportList') } },
    },
    ...problemResponses(400, 401, 403),
  },
});

/** `GET /v1/reports` */
export function registerListReports(app: App): void {
  app.openapi(listReportsRoute, async (c) => {
    const reports = await listReports(c.get('services').db(), principalOf(c).tenantId, c.req.valid('query').limit);
    return c.json({ data: reports.map(presentReport) }, 200);
  });
}
