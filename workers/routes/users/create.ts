import { createRoute } from '@hono/zod-openapi';
import { canAssignRole, hashPassword } from '@pulsestream/core/auth';
import { createTenantUser } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { auditActor, auditIp } from '../../lib/request-meta';
import { presentUser, UserSchema } from '../auth/schema';
import { CreateUserRequestSchema } from './schema';

export const createUserRoute = createRoute({
  method: 'post',
  path: '/v1/users',
  tags: ['users'],
  summary: 'Add a user to the caller’s tenant (admin+; only owners grant owner)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateUserRequestSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: UserSchema } } },
    ...problemResponses(400, 401, 403, 409),
  },
});

/** `POST /v1/users` */
export function registerCreateUser(app: App): void {
  app.openapi(createUserRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    if (!principal.role || !canAssignRole(principal.role, body.role)) {
      throw new ApiError('forbidden', `Your role cannot grant the ${body.role} role.`);
    }
    const result = await createTenantUser(c.get('services').db(), {
      tenantId: principal.tenantId,
      email: body.email,
      passwordHash: await hashPassword(body.password),
      role: body.role,
      audit: (user) => ({
        actor: auditActor(principal),
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        ip: auditIp(c),
        metadata: { role: user.role },
      }),
    });
    if (!result.ok) throw new ApiError('conflict', 'A user with this email already exists in the tenant.');
    return c.json(presentUser(result.user), 201);
  });
}
