import { type DeadLetterInsert, storeDeadLetters } from '@pulsestream/db';
import { PENDING_DEAD_LETTER_PREFIX } from '../lib/pipeline';
import { createServices } from '../lib/services';
import type { ConsumerContext, QueueMessage } from '.';
import { isDeadLetterMessage } from './messages';

/**
 * Stores dead letters in `dead_letters`, all of a batch in one statement. When the database is down each
 * one is parked as an R2 object instead (the cron moves them into the table once the database answers), so a
 * dead letter is never dropped; only if R2 fails too is the message retried.
 */
export async function handleDeadLetterMessages(messages: Message<QueueMessage>[], cc: ConsumerContext): Promise<void> {
  const letters = messages.map((m) => toLetter(m, cc));
  const services = createServices(cc.config, cc.logger);
  try {
    await storeDeadLetters(services.db(), letters);
    for (const m of messages) m.ack();
    cc.logger.warn('dead letters stored', { count: letters.length });
    return;
  } catch (err) {
    cc.logger.error('dead letters: database unavailable, parking in R2', {
      count: letters.length,
      error: (err as Error).message,
    });
  } finally {
    await services.close().catch(() => undefined);
  }
  await Promise.all(
    messages.map(async (m, i) => {
      const letter = letters[i];
      if (!letter) return;
      try {
        await cc.env.DEAD_LETTER_BUCKET.put(
          `${PENDING_DEAD_LETTER_PREFIX}${encodeURIComponent(letter.messageId)}.json`,
          JSON.stringify(letter),
          { httpMetadata: { contentType: 'application/json' } },
        );
        m.ack();
      } catch (err) {
        cc.logger.error('dead letters: R2 fallback failed, retrying', { error: (err as Error).message });
        m.retry({ delaySeconds: 30 });
      }
    }),
  );
}

/** A dead letter from either our explicit wrapper or a message the platform dead-lettered as it was. */
function toLetter(message: Message<QueueMessage>, cc: ConsumerContext): DeadLetterInsert {
  const body: unknown = message.body;
  if (isDeadLetterMessage(body)) {
    return {
      messageId: body.messageId,
      tenantId: body.tenantId,
      queue: body.queue,
      body: body.body,
      reason: body.reason,
      attempts: body.attempts,
    };
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const tenantId = typeof record.tenantId === 'string' ? record.tenantId : null;
  const batchId = typeof record.batchId === 'string' ? record.batchId : null;
  return {
    messageId: batchId ?? message.id,
    tenantId,
    queue: typeof record.type === 'string' ? `unknown (type ${record.type})` : 'unknown',
    body: body ?? null,
    reason: 'retries exhausted (dead-lettered by the queue)',
    attempts: cc.config.QUEUE_MAX_RETRIES + 1,
  };
}
