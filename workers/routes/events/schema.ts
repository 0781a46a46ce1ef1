import { z } from '@hono/zod-openapi';

const fieldError = z.object({ path: z.string(), message: z.string() });

/** One event as a client sends it (documentation; the handler validates each event with the core schema). */
export const eventInput = z
  .object({
    id: z.string().max(64).optional().openapi({ description: 'Client id; generated (UUIDv7) when absent' }),
    timestamp: z
      .union([z.string(), z.number().int()])
      .optional()
      .openapi({ description: 'ISO 8601 or epoch ms; default receive time' }),
    type: z.enum(['api_call', 'error', 'custom']).optional(),
    source: z.string().openapi({ example: 'stripe' }),
    endpoint: z.string().optional().openapi({ example: 'POST /v1/charges' }),
    method: z.string().optional(),
    status: z.number().int().optional(),
    latencyMs: z.number().optional(),
    properties: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Nested at most 8 deep' }),
  })
  .openapi('EventInput');

export const ingestBody = z
  .union([eventInput, z.object({ events: z.array(eventInput).min(1).max(1000) })])
  .openapi('IngestBody');

export const ingestAccepted = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(
      z.object({
        index: z.number().int(),
        errors: z
          .array(fieldError)
          .max(6)
          .openapi({
            description:
              'At most 5 problems, then one `{"path": "", "message": "and N more problems in this event"}`; ' +
              'paths clipped to 128 characters',
          }),
      }),
    ),
    ids: z.array(z.string()),
  })
  .openapi('IngestAccepted');

export type IngestAccepted = z.infer<typeof ingestAccepted>;

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(fieldError).optional(),
  })
  .openapi('Problem');

const rateLimitHeaders = z.object({
  'RateLimit-Limit': z.string(),
  'RateLimit-Remaining': z.string(),
  'RateLimit-Reset': z.string(),
});

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});

export { rateLimitHeaders };
