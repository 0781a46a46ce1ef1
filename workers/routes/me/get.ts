import { createRoute } from '@hono/zod-openapi';
import { getTenant, getTenantUser } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { presentTenant, presentUser } from '../auth/schema';
import { MeResponseSchema } from './schema';

export const getMeRoute = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['auth'],
  summary: 'The signed-in user and their tenant',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] })] as const,
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: MeResponseSchema } } },
    ...problemResponses(401),
  },
});

/** `GET /v1/me` */
export function registerGetMe(app: App): void {
  app.openapi(getMeRoute, async (c) => {
    const principal = principalOf(c);
    const db = c.get('services').db();
    const [user, tenant] = await Promise.all([
      getTenantUser(db, principal.tenantId, principal.id),
      getTenant(db, principal.tenantId),
    ]);
    // authenticate just saw both; a concurrent deletion is the only way here.
    if (!user || !tenant) throw new ApiError('unauthorized', 'The access token is invalid or expired.');
    return c.json({ user: presentUser(user), tenant: presentTenant(tenant) }, 200);
  });
}
