import { createRoute } from '@hono/zod-openapi';
import { checkUserChange } from '@pulsestream/core/auth';
import { changeTenantUser } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { auditActor, auditIp } from '../../lib/request-meta';
import { changeFailure, revokeLiveAccess } from './shared';

export const deleteUserRoute = createRoute({
  method: 'delete',
  path: '/v1/users/{id}',
  tags: ['users'],
  summary: 'Remove a user (admin+; the last owner cannot be removed)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Removed' }, ...problemResponses(400, 401, 403, 404, 409) },
});

/** `DELETE /v1/users/:id` */
export function registerDeleteUser(app: App): void {
  app.openapi(deleteUserRoute, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const outcome = await changeTenantUser(c.get('services').db(), {
      tenantId: principal.tenantId,
      actorId: principal.id,
      targetId: id,
      remove: true,
      authorize: ({ actor, target, ownerCount }) => checkUserChange({ actor, target, remove: true, ownerCount }),
      audit: (user) => ({
        actor: auditActor(principal),
        action: 'user.delete',
        targetType: 'user',
        targetId: user.id,
        ip: auditIp(c),
        metadata: { role: user.role },
      }),
    });
    if (!outcome.ok) throw changeFailure(outcome);
    await revokeLiveAccess(c, principal.tenantId, id);
    return c.body(null, 204);
  });
}
