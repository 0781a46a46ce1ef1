import { createRoute } from '@hono/zod-openapi';
import { listApiKeys } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { ApiKeyListSchema, presentApiKey } from './schema';

export const listApiKeysRoute = createRoute({
  method: 'get',
  path: '/v1/api-keys',
  tags: ['api-keys'],
  summary: 'The tenant’s API keys, revoked ones included (admin+); never the key itself',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  responses: {
    200: { description: 'Keys, newest first', content: { 'application/json': { schema: ApiKeyListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/api-keys` */
export function registerListApiKeys(app: App): void {
  app.openapi(listApiKeysRoute, async (c) => {
    const keys = await listApiKeys(c.get('services').db(), principalOf(c).tenantId);
    return c.json({ data: keys.map(presentApiKey) }, 200);
  });
}
