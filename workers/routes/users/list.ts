import { createRoute } from '@hono/zod-openapi';
import { listTenantUsers } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { presentUser } from '../auth/schema';
import { UserListSchema } from './schema';

export const listUsersRoute = createRoute({
  method: 'get',
  path: '/v1/users',
  tags: ['users'],
  summary: 'Users of the caller’s tenant (admin+)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  responses: {
    200: { description: 'The tenant’s users', content: { 'application/json': { schema: UserListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/users` */
export function registerListUsers(app: App): void {
  app.openapi(listUsersRoute, async (c) => {
    const users = await listTenantUsers(c.get('services').db(), principalOf(c).tenantId);
    return c.json({ data: users.map(presentUser) }, 200);
  });
}
