import { createRoute } from '@hono/zod-openapi';
import { listAudit } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { AuditListSchema, AuditQuerySchema } from './schema';

export const listAuditRoute = createRoute({
  method: 'get',
  path: '/v1/audit-log',
  tags: ['audit'],
  summary: 'The tenant’s security audit log, newest first (admin+)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('admin')] as const,
  request: { query: AuditQuerySchema },
  responses: {
    200: { description: 'One page of entries', content: { 'application/json': { schema: AuditListSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

const ACTOR_TYPES = ['user', 'api_key', 'system', 'anonymous'] as const;
type ActorType = (typeof ACTOR_TYPES)[number];
const isActorType = (v: string): v is ActorType => (ACTOR_TYPES as readonly string[]).includes(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `GET /v1/audit-log` */
export function registerListAudit(app: App): void {
  app.openapi(listAuditRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listAudit(c.get('services').db(), principalOf(c).tenantId, {
      limit,
      before: cursor,
    });
    return c.json(
      {
        data: page.rows.map((r) => ({
          id: r.id,
          actorType: isActorType(r.actorType) ? r.actorType : 'system',
          actorId: r.actorId,
          action: r.action,
          targetType: r.targetType,
          targetId: r.targetId,
          ip: r.ip,
          metadata: isRecord(r.metadata) ? r.metadata : null,
          createdAt: r.createdAt.toISOString(),
        })),
        nextCursor: page.nextBefore,
      },
      200,
    );
  });
}
