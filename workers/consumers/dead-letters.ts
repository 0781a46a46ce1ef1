import { isNotifyMessage } from '@pulsestream/core/notifications/message';
import { isReportJobMessage } from '@pulsestream/core/reports';
import { type Database, type DeadLetterInsert, describeFailure, isDataError, storeDeadLetters } from '@pulsestream/db';
import { parkedKey } from '../lib/pipeline';
import { createServices } from '../lib/services';
import type { ConsumerContext, QueueMessage } from '.';
import { isDeadLetterMessage } from './messages';

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
    cc.logger.error('dead letters: R2 fallback failed, retrying', { error: (err as Error).message });
    message.retry({ delaySeconds: 30 });
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
    messageId: platformLetterId(body) ?? message.id,
    tenantId,
    queue: typeof record.type === 'string' ? `unknown (type ${record.type})` : 'unknown',
    body: body ?? null,
    reason: 'retries exhausted (dead-lettered by the queue)',
    attempts: cc.config.QUEUE_MAX_RETRIES + 1,
  };
}

/**
 * The letter key of a message the platform dead-lettered: its payload's own id, the one our consumers use when
 * they dead-letter it themselves, so a redriven message dead-lettered again re-arms its letter (keeping the
 * redrive count that makes automatic redrive give up) instead of adding a new letter under the new message id
 * each time. Null for a payload without one.
 */
function platformLetterId(body: unknown): string | null {
  if (isNotifyMessage(body)) return `notify:${String(body.deliveryId).slice(0, 200)}`;
  if (isReportJobMessage(body)) return `report:${body.reportId}`;
  const batchId = typeof body === 'object' && body !== null ? (body as { batchId?: unknown }).batchId : undefined;
  return typeof batchId === 'string' ? batchId : null;
}
