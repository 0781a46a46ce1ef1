import { createRoute } from '@hono/zod-openapi';
import { revokeApiKey } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { auditActor, auditIp } from '../../lib/request-meta';
import { syncGate } from './gate';

export const deleteApiKeyRoute = createRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  tags: ['api-keys'],
  summary: 'Revoke an API key (admin+); refused at ingest from the next request on',
  description: 'Idempotent: deleting a revoked key answers 204 again (and re-tells the gate).',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Revoked' }, ...problemResponses(400, 401, 403, 404, 503) },
});

/** `DELETE /v1/api-keys/:id` */
export function registerDeleteApiKey(app: App): void {
  app.openapi(deleteApiKeyRoute, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const revoked = await revokeApiKey(c.get('services').db(), {
      tenantId: principal.tenantId,
      keyId: id,
      audit: (k) => ({
        actor: auditActor(principal),
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: k.id,
        ip: auditIp(c),
        metadata: { name: k.name, prefix: k.prefix },
      }),
    });
    if (!revoked) throw new ApiError('not_found', 'No such API key.');
    // Also on a repeat: a previous attempt may have revoked in the database but failed to reach the gate.
    await syncGate(c.env, c.get('logger'), principal.tenantId, {
      keyId: revoked.key.id,
      keyHash: revoked.keyHash,
      scopes: revoked.key.scopes,
      revoked: true,
    });
    return c.body(null, 204);
  });
}
