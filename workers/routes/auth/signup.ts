import { createRoute } from '@hono/zod-openapi';
import { hashPassword, randomBase62, SLUG_MAX_LENGTH, slugify, slugWithSuffix } from '@pulsestream/core/auth';
import { createTenantWithOwner } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { ApiError } from '../../lib/errors';
import { admitSignup } from '../../lib/login-throttle';
import { problemResponses } from '../../lib/openapi';
import { auditIp, clientIp } from '../../lib/request-meta';
import { startSession } from '../../lib/session';
import { presentTenant, presentUser, SignupRequestSchema, SignupResponseSchema } from './schema';

export const signupRoute = createRoute({
  method: 'post',
  path: '/v1/auth/signup',
  tags: ['auth'],
  summary: 'Create a tenant and its owner; returns a session',
  request: { body: { required: true, content: { 'application/json': { schema: SignupRequestSchema } } } },
  responses: {
    201: { description: 'Tenant and owner created', content: { 'application/json': { schema: SignupResponseSchema } } },
    ...problemResponses(400),
  },
});

// Suffixed candidates tried in the same transaction before falling back to random ones.
const NUMBERED_SLUG_TRIES = 4;
const RANDOM_SLUG_ROUNDS = 3;

/** Slugs to try for a tenant name, most readable first. */
function slugCandidates(name: string, round: number): string[] {
  const base = slugify(name);
  if (round === 0) {
    return [base, ...Array.from({ length: NUMBERED_SLUG_TRIES }, (_, i) => slugWithSuffix(base, i + 2))];
  }
  // A popular name: a short random suffix makes a collision vanishingly unlikely.
  const suffix = randomBase62(6).toLowerCase();
  return [`${base.slice(0, SLUG_MAX_LENGTH - suffix.length - 1).replace(/-+$/, '')}-${suffix}`];
}

/** `POST /v1/auth/signup` */
export function registerSignup(app: App): void {
  app.openapi(signupRoute, async (c) => {
    const body = c.req.valid('json');
    const services = c.get('services');
    // Local development has one caller (every address is "unknown" there): only deployed stacks throttle.
    if (services.config.ENVIRONMENT !== 'development') await admitSignup(c.env.LOGIN_THROTTLE, clientIp(c));
    const passwordHash = await hashPassword(body.password);
    const ip = auditIp(c);
    for (let round = 0; round <= RANDOM_SLUG_ROUNDS; round++) {
      const created = await createTenantWithOwner(services.db(), {
        tenantName: body.tenantName,
        slugCandidates: slugCandidates(body.tenantName, round),
        email: body.email,
        passwordHash,
        audit: ({ userId }) => ({
          actor: { type: 'user', id: userId },
          action: 'tenant.signup',
          targetType: 'user',
          targetId: userId,
          ip,
        }),
      });
      if (!created) continue;
      const tokens = await startSession(services.db(), services.config, {
        id: created.user.id,
        tenantId: created.tenant.id,
        role: 'owner',
      });
      c.get('logger').info('auth: signup', { tenant: created.tenant.id, user: created.user.id });
      return c.json({ tenant: presentTenant(created.tenant), user: presentUser(created.user), ...tokens }, 201);
    }
    throw new ApiError('conflict', 'Could not find a free tenant slug; try another tenant name.');
  });
}
