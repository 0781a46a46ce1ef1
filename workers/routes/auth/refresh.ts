import { createRoute } from '@hono/zod-openapi';
import { generateRefreshToken, isRefreshTokenFormat, sha256Hex } from '@pulsestream/core/auth';
import { appendAudit, rotateRefreshToken } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { ApiError } from '../../lib/errors';
import { problemResponses } from '../../lib/openapi';
import { auditIp } from '../../lib/request-meta';
import { REFRESH_TOKEN_TTL_MS, signAccessToken } from '../../lib/session';
import { RefreshRequestSchema, TokenPairSchema } from './schema';

export const refreshRoute = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Rotate a refresh token: returns a new pair, the old refresh token is spent',
  description:
    'Each refresh token works once. Presenting one that was already rotated is treated as theft: the whole ' +
    'token family (every session descended from the same login) is revoked and the answer is 401.',
  request: { body: { required: true, content: { 'application/json': { schema: RefreshRequestSchema } } } },
  responses: {
    200: { description: 'New token pair', content: { 'application/json': { schema: TokenPairSchema } } },
    ...problemResponses(400, 401),
  },
});

const invalid = () => new ApiError('unauthorized', 'The refresh token is invalid, expired or revoked.');

/** `POST /v1/auth/refresh` */
export function registerRefresh(app: App): void {
  app.openapi(refreshRoute, async (c) => {
    const { refreshToken } = c.req.valid('json');
    if (!isRefreshTokenFormat(refreshToken)) throw invalid();
    const services = c.get('services');
    const next = generateRefreshToken();
    const outcome = await rotateRefreshToken(services.db(), {
      tokenHash: await sha256Hex(refreshToken),
      nextTokenHash: await sha256Hex(next),
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
    });
    if (outcome.status === 'reused') {
      c.get('logger').warn('auth: refresh token reuse; family revoked', {
        tenant: outcome.tenantId,
        user: outcome.userId,
        family: outcome.familyId,
      });
      await appendAudit(services.db(), {
        tenantId: outcome.tenantId,
        actor: { type: 'anonymous', id: null },
        action: 'auth.refresh_reuse',
        targetType: 'user',
        targetId: outcome.userId,
        ip: auditIp(c),
        metadata: { familyId: outcome.familyId },
      });
      throw invalid();
    }
    if (outcome.status === 'invalid') throw invalid();
    const access = await signAccessToken(services.config, {
      id: outcome.userId,
      tenantId: outcome.tenantId,
      role: outcome.role,
    });
    return c.json(
      { accessToken: access.token, refreshToken: next, expiresIn: access.expiresIn, tokenType: 'Bearer' as const },
      200,
    );
  });
}
