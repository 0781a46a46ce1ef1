import { z } from '@hono/zod-openapi';
import { MAX_INSTANT_MS, MIN_INSTANT_MS, parseInstant } from '@pulsestream/core/query-values';
import type { DeadLetterPosition } from '@pulsestream/db';

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

/** `<microseconds since epoch>_<letter id>`: where a page ended, to the microsecond (see listDeadLetters). */
const POSITION = /^(-?\d{1,18})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The cursor a page returns, for the next page. */
export function encodeDeadLetterCursor(position: DeadLetterPosition): string {
  return `${position.micros}_${position.id}`;
}

/**
 * A cursor: the `nextCursor` of a page (a position), or an instant (ISO 8601 or epoch ms) meaning "letters
 * created before it", as the first version of this route documented.
 */
const deadLetterCursor = z
  .string()
  .max(80)
  .transform((value, ctx): { after: DeadLetterPosition } | { before: Date } => {
    const position = POSITION.exec(value);
    const micros = Number(position?.[1]);
    if (position?.[1] && position[2] && micros >= MIN_INSTANT_MS * 1000 && micros <= MAX_INSTANT_MS * 1000) {
      return { after: { micros: position[1], id: position[2].toLowerCase() } };
    }
    const instant = parseInstant(value);
    if (instant.ok) return { before: instant.value };
    ctx.addIssue({
      code: 'custom',
      message:
        'must be the nextCursor of a previous page, or an ISO 8601 timestamp or epoch milliseconds in years 1-9999',
    });
    return z.NEVER;
  });

export const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: deadLetterCursor.optional().openapi({
    type: 'string',
    description: 'nextCursor of the previous page (or an instant: letters created before it)',
  }),
  pending: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Only letters not yet redriven (including those a redrive holds under its lease)' }),
});

export const redriveResult = z
  .object({
    redriven: z.number().int().openapi({ description: 'Dead letters re-enqueued by this call' }),
    failed: z.number().int().openapi({
      description: 'Left pending: the send failed (call again), or no queue takes the letter (see its queue)',
    }),
  })
  .openapi('RedriveResult');
