import { z } from '@hono/zod-openapi';

export const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ description: 'UUIDv7: time-ordered, random; newest first' }),
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
    .regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      'cursor must be a value returned as nextCursor',
    )
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' } }),
});
