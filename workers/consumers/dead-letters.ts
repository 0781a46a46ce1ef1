import { deadLetterKeyOf } from '@pulsestream/core/wire/dead-letter-key';
import { type Database, type DeadLetterInsert, describeFailure, isDataError, storeDeadLetters } from '@pulsestream/db';
import { parkedKey } from '../lib/pipeline';
import { createServices } from '../lib/services';
import type { ConsumerContext, QueueMessage } from '.';
import { isDeadLetterMessage } from './messages';

/** Retries of a dead letter before the platform drops it (max_retries in wrangler.toml; no queue is behind). */
export const DEAD_LETTER_MAX_RETRIES = 10;

/**
 * Delay before the next delivery of a letter neither the database nor R2 took: 30 s doubling, at most 12 h (the
 * longest delay Queues takes), so the retries span about 8.5 hours. A fixed 30 s dropped every letter of an
 * outage longer than five minutes.
 */
export function parkRetryDelaySeconds(attempts: number): number {
  return Math.min(43_200, 30 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Stores dead letters in `dead_letters`, all of a batch in one statement, letter by letter if that statement
 * is refused (storing is built not to be: every value is made storable first). When the database is down
 * each letter is parked as an R2 object instead (the cron moves them into the table once the database
 * answers), so a dead letter is never dropped; only if R2 fails too is the message retried.
 */
export async function handleDeadLetterMessages(messages: Message<QueueMessage>[], cc: ConsumerContext): Promise<void> {
  const letters = messages.map((m) => toLetter(m, cc));
  const services = createServices(cc.config, cc.logger);
  let unstored: Set<number>;
  try {
    unstored = await storeEachPossible(services.db(), letters, cc);
  } finally {
    await services.close().catch(() => undefined);
  }
  messages.forEach((m, i) => {
    if (!unstored.has(i)) m.ack();
  });
  if (unstored.size < letters.length) cc.logger.warn('dead letters stored', { count: letters.length - unstored.size });
  await Promise.all([...unstored].map((i) => park(messages[i], letters[i], cc)));
}

/** Stores the batch; returns the indexes of the letters that could not be stored. */
async function storeEachPossible(db: Database, letters: DeadLetterInsert[], cc: ConsumerContext): Promise<Set<number>> {
  try {
    await storeDeadLetters(db, letters);
    return new Set();
  } catch (err) {
    if (!isDataError(err) || letters.length === 1) {
      cc.logger.error('dead letters: database unavailable, parking in R2', {
        count: letters.length,
        error: describeFailure(err),
      });
      return new Set(letters.keys());
    }
  }
  const failed = new Set<number>();
  for (const [i, letter] of letters.entries()) {
    try {
      await storeDeadLetters(db, [letter]);
    } catch (err) {
      cc.logger.error('dead letters: one letter refused, parking it in R2', {
        messageId: letter.messageId,
        error: describeFailure(err),
      });
      failed.add(i);
    }
  }
  return failed;
}

async function park(
  message: Message<QueueMessage> | undefined,
  letter: DeadLetterInsert | undefined,
  cc: ConsumerContext,
): Promise<void> {
  if (!message || !letter) return;
  try {
    await cc.env.DEAD_LETTER_BUCKET.put(await parkedKey(letter.messageId), JSON.stringify(letter), {
      httpMetadata: { contentType: 'application/json' },
    });
    message.ack();
  } catch (err) {
    cc.logger.error('dead letters: R2 fallback failed, retrying', {
      attempts: message.attempts,
      error: describeFailure(err),
    });
    message.retry({ delaySeconds: parkRetryDelaySeconds(message.attempts) });
  }
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
  // storeDeadLetters keeps a tenant id only when it is a uuid.
  const tenantId = typeof record.tenantId === 'string' ? record.tenantId : null;
  return {
    // The body's own key, as our consumers use it: a redriven message dead-lettered again re-arms its letter.
    messageId: deadLetterKeyOf(body) ?? message.id,
    tenantId,
    queue: typeof record.type === 'string' ? `unknown (type ${record.type})` : 'unknown',
    body: body ?? null,
    reason: 'retries exhausted (dead-lettered by the queue)',
    attempts: cc.config.QUEUE_MAX_RETRIES + 1,
  };
}
