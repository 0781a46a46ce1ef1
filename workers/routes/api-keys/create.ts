import { createRoute } from '@hono/zod-openapi';
import { generateApiKey, sha256Hex } from '@pulsestream/core/auth';
import { createApiKey, revokeApiKey } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { auditActor, auditIp } from '../../lib/request-meta';
import { syncGate } from './gate';
import { CreateApiKeyRequestSchema, CreatedApiKeySchema } from './schema';

export const createApiKeyRoute = createRoute({
  method: 'post',
  path: '/v1/api-keys',
  tags: ['api-keys'],
  summary: 'Create an API key (admin+); the key is in this response only',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateApiKeyRequestSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: CreatedApiKeySchema } } },
    ...problemResponses(400, 401, 403, 503),
  },
});

/** `POST /v1/api-keys` */
export function registerCreateApiKey(app: App): void {
  app.openapi(createApiKeyRoute, async (c) => {
    const principal = principalOf(c);
    const { name, scopes } = c.req.valid('json');
    const db = c.get('services').db();
    const { key, prefix } = generateApiKey();
    const keyHash = await sha256Hex(key);
    const created = await createApiKey(db, {
      tenantId: principal.tenantId,
      name,
      prefix,
      keyHash,
      scopes,
      createdBy: principal.id,
      audit: (k) => ({
        actor: auditActor(principal),
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: k.id,
        ip: auditIp(c),
        metadata: { name, scopes, prefix },
      }),
    });
    try {
      await syncGate(c.env, c.get('logger'), principal.tenantId, {
        keyId: created.id,
        keyHash,
        scopes,
        revoked: false,
      });
    } catch (err) {
      // The client never saw this key; revoke it so no usable key exists that the gate does not know of.
      await revokeApiKey(db, { tenantId: principal.tenantId, keyId: created.id, audit: null });
      throw err;
    }
    return c.json(
      {
        id: created.id,
        name: created.name,
        scopes,
        prefix: created.prefix,
        key,
        createdAt: created.createdAt.toISOString(),
      },
      201,
    );
  });
}
