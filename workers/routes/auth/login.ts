import { createRoute } from '@hono/zod-openapi';
import { verifyDummy, verifyPassword } from '@pulsestream/core/auth';
import { appendAudit, findLoginCandidate } from '@pulsestream/db';
import { afterResponse } from '../../lib/after-response';
import type { App } from '../../lib/app';
import { ApiError } from '../../lib/errors';
import { beginLoginAttempt } from '../../lib/login-throttle';
import { problemResponses } from '../../lib/openapi';
import { auditIp, clientIp } from '../../lib/request-meta';
import { startSession } from '../../lib/session';
import { LoginRequestSchema, TokenPairSchema } from './schema';

export const loginRoute = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Exchange email and password for a session',
  description:
    'Unknown email and wrong password get the same 401 in about the same time. When the email belongs to ' +
    'several tenants and `tenant` (slug or id) is absent, the oldest membership is used. After 10 failures in ' +
    '15 minutes for one email or one client address, attempts get 429 with Retry-After.',
  request: { body: { required: true, content: { 'application/json': { schema: LoginRequestSchema } } } },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: TokenPairSchema } } },
    ...problemResponses(400, 401, 429),
  },
});

/** `POST /v1/auth/login` */
export function registerLogin(app: App): void {
  app.openapi(loginRoute, async (c) => {
    const { email, password, tenant } = c.req.valid('json');
    const services = c.get('services');
    const logger = c.get('logger');
    const ip = clientIp(c);
    const attempt = await beginLoginAttempt(c.env.LOGIN_THROTTLE, email, ip);
    const candidate = await findLoginCandidate(services.db(), email, tenant);
    // Exactly one PBKDF2 run on every path, so the time taken does not tell whether the email exists.
    const valid = candidate ? await verifyPassword(password, candidate.passwordHash) : await verifyDummy(password);
    if (!candidate || !valid) {
      await attempt.failed();
      if (candidate) {
        afterResponse(c, 'audit login failure', (db) =>
          appendAudit(db, {
            tenantId: candidate.tenantId,
            actor: { type: 'anonymous', id: null },
            action: 'auth.login_failed',
            targetType: 'user',
            targetId: candidate.userId,
            ip: auditIp(c),
            metadata: { reason: 'bad_password' },
          }),
        );
      }
      logger.info('auth: login failed', { tenant: candidate?.tenantId ?? null });
      throw new ApiError('unauthorized', 'The email or password is incorrect.');
    }
    await attempt.succeeded();
    const user = { id: candidate.userId, tenantId: candidate.tenantId, role: candidate.role };
    const tokens = await startSession(services.db(), services.config, user);
    await appendAudit(services.db(), {
      tenantId: user.tenantId,
      actor: { type: 'user', id: user.id },
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      ip: auditIp(c),
    });
    logger.info('auth: login', { tenant: user.tenantId, user: user.id });
    return c.json(tokens, 200);
  });
}
