import { z } from '@hono/zod-openapi';
import type { PublicApiKey } from '@pulsestream/db';

export const ScopeSchema = z.enum(['ingest', 'read']).openapi('ApiKeyScope');

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: 'First characters of the key, to tell keys apart', example: 'ps_live_a1B2c3' }),
    scopes: z.array(ScopeSchema),
    createdBy: z.uuid().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({
      description:
        'Last time the key was presented and recognised: ingest uses are written about every 10 s, query uses at most once a minute',
    }),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).openapi('ApiKeyList');

export const CreateApiKeyRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: 'production ingest' }),
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .max(2)
      .refine((s) => new Set(s).size === s.length, { message: 'Scopes must not repeat.' }),
  })
  .openapi('CreateApiKeyRequest');

export const CreatedApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    prefix: z.string(),
    key: z.string().openapi({ description: 'The key itself. Shown only in this response; store it now.' }),
    createdAt: z.string(),
  })
  .openapi('CreatedApiKey');

/** Listing shape of a key: never the key or its hash. */
export function presentApiKey(k: PublicApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes.filter((s): s is 'ingest' | 'read' => s === 'ingest' || s === 'read'),
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
