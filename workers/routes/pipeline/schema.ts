import { z } from '@hono/zod-openapi';
import { timeParam } from '../../lib/query-params';

export const deadLetter = z
  .object({
    id: z.string(),
    queue: z.string(),
    messageId: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    events: z.number().int().openapi({ description: 'Events carried by the message (0 for other types)' }),
    createdAt: z.string(),
    redrivenAt: z.string().nullable(),
    redriveCount: z.number().int(),
  })
  .openapi('DeadLetter');

export const deadLetterList = z
  .object({ data: z.array(deadLetter), nextCursor: z.string().nullable() })
  .openapi('DeadLetterList');

export const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: timeParam.optional().openapi({ description: 'createdAt of the last item seen' }),
  pending: z.enum(['true', 'false']).optional().openapi({ description: 'Only letters not yet redriven' }),
});

export const redriveResult = z
  .object({
    redriven: z.number().int().openapi({ description: 'Dead letters re-enqueued by this call' }),
    failed: z.number().int().openapi({ description: 'Left pending (the send failed); call again' }),
  })
  .openapi('RedriveResult');
