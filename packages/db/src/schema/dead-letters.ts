import { index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns';

/**
 * Queue messages that exhausted their retries. `message_id` is unique so a dead letter delivered twice is
 * stored once; `redriven_at` (set only once a redrive's send succeeded) makes redrive idempotent, and
 * `redrive_claimed_until` is a redrive's lease: while it holds no other redrive takes the letter, and once it
 * expires unmarked (the redriving Worker was killed) the letter is claimable again.
 */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: idColumn(),
    tenantId: uuid('tenant_id'),
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull().unique(),
    // The message as JSON text, never jsonb: a body that jsonb refuses (a NUL escape, a lone surrogate) is
    // exactly what ends up here, and storing a dead letter must not fail.
    body: text('body').notNull(),
    reason: text('reason').notNull(),
    attempts: integer('attempts').notNull(),
    createdAt: createdAt(),
    redrivenAt: tstz('redriven_at'),
    redriveCount: integer('redrive_count').notNull().default(0),
    redriveClaimedUntil: tstz('redrive_claimed_until'),
  },
  (t) => [index('dead_letters_tenant_idx').on(t.tenantId, t.createdAt)],
);
