import { z } from '@hono/zod-openapi';

export const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ description: 'Monotonic per deployment; newest first' }),
    actorType: z.enum(['user', 'api_key', 'system', 'anonymous']),
    actorId: z.string().nullable(),
    action: z.string().openapi({ example: 'api_key.revoke' }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .openapi('AuditEntry');

export const AuditListSchema = z
  .object({ data: z.array(AuditEntrySchema), nextCursor: z.string().nullable() })
  .openapi('AuditList');

export const AuditQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'cursor must be a value returned as nextCursor')
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' } }),
});
