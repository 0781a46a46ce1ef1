import { createRoute } from '@hono/zod-openapi';
import { listSilences } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { presentSilence, SilenceListSchema } from './schema';

export const listSilencesRoute = createRoute({
  method: 'get',
  path: '/v1/silences',
  tags: ['alerting'],
  summary: 'The tenant’s silences (past, active and scheduled), newest first',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] })] as const,
  responses: {
    200: { description: 'Silences', content: { 'application/json': { schema: SilenceListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/silences` */
export function registerListSilences(app: App): void {
  app.openapi(listSilencesRoute, async (c) => {
    const rows = await listSilences(c.get('services').db(), principalOf(c).tenantId);
    const now = Date.now();
    return c.json({ data: rows.map((s) => presentSilence(s, now)) }, 200);
  });
}
