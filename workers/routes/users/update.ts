import { createRoute } from '@hono/zod-openapi';
import { checkUserChange, hashPassword } from '@pulsestream/core/auth';
import { changeTenantUser } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { auditActor, auditIp } from '../../lib/request-meta';
import { presentUser, UserSchema } from '../auth/schema';
import { UpdateUserRequestSchema } from './schema';
import { changeFailure, revokeLiveAccess } from './shared';

export const updateUserRoute = createRoute({
  method: 'patch',
  path: '/v1/users/{id}',
  tags: ['users'],
  summary: 'Change a user’s email, password or role (admin+)',
  description:
    'Nobody raises their own role; admins cannot touch owners; the last owner cannot be demoted. ' +
    'A password change ends the user’s sessions (refresh tokens).',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: {
    params: IdParamSchema,
    body: { required: true, content: { 'application/json': { schema: UpdateUserRequestSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: UserSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

/** `PATCH /v1/users/:id` */
export function registerUpdateUser(app: App): void {
  app.openapi(updateUserRoute, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password);
    const outcome = await changeTenantUser(c.get('services').db(), {
      tenantId: principal.tenantId,
      actorId: principal.id,
      targetId: id,
      patch: { email: body.email, passwordHash, role: body.role },
      authorize: ({ actor, target, ownerCount }) => checkUserChange({ actor, target, newRole: body.role, ownerCount }),
      audit: (user) => ({
        actor: auditActor(principal),
        action: 'user.update',
        targetType: 'user',
        targetId: user.id,
        ip: auditIp(c),
        metadata: {
          changed: [
            ...(body.email !== undefined ? ['email'] : []),
            ...(body.password !== undefined ? ['password'] : []),
            ...(body.role !== undefined ? ['role'] : []),
          ],
          ...(body.role !== undefined ? { role: body.role } : {}),
        },
      }),
    });
    if (!outcome.ok) throw changeFailure(outcome);
    if (!outcome.user) throw new ApiError('not_found', 'No such user.');
    if (body.role !== undefined) await revokeLiveAccess(c, principal.tenantId, id);
    return c.json(presentUser(outcome.user), 200);
  });
}
