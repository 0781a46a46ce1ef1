import { createRoute } from '@hono/zod-openapi';
import { isRefreshTokenFormat, sha256Hex } from '@pulsestream/core/auth';
import { appendAudit, revokeRefreshToken } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { problemResponses } from '../../lib/openapi';
import { auditIp } from '../../lib/request-meta';
import { RefreshRequestSchema } from './schema';

export const logoutRoute = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'Revoke a refresh token',
  description: 'Always 204, whether or not the token was live, so the endpoint says nothing about tokens.',
  request: { body: { required: true, content: { 'application/json': { schema: RefreshRequestSchema } } } },
  responses: { 204: { description: 'Revoked (or already unusable)' }, ...problemResponses(400) },
});

/** `POST /v1/auth/logout` */
export function registerLogout(app: App): void {
  app.openapi(logoutRoute, async (c) => {
    const { refreshToken } = c.req.valid('json');
    if (isRefreshTokenFormat(refreshToken)) {
      const db = c.get('services').db();
      const owner = await revokeRefreshToken(db, await sha256Hex(refreshToken));
      if (owner) {
        await appendAudit(db, {
          tenantId: owner.tenantId,
          actor: { type: 'user', id: owner.userId },
          action: 'auth.logout',
          targetType: 'user',
          targetId: owner.userId,
          ip: auditIp(c),
        });
      }
    }
    return c.body(null, 204);
  });
}
