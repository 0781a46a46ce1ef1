import { sha256Hex } from '@pulsestream/core/hex';
import { jsonBytes, MAX_SEND_BATCH_BYTES, MAX_SEND_BATCH_MESSAGES, packItems } from '@pulsestream/core/ingest-pack';
import { isNotifyMessage } from '@pulsestream/core/notifications/message';
import { isReportJobMessage } from '@pulsestream/core/reports';
import { toStorableText } from '@pulsestream/core/storable';
import {
  type ClaimedDeadLetter,
  claimDeadLetters,
  type DeadLetterInsert,
  describeFailure,
  markDeadLettersRedriven,
  storeDeadLetters,
  unclaimDeadLetters,
} from '@pulsestream/db';
import type { Services } from './services';

/** R2 prefix of dead letters that could not be stored because the database was down. */
export const PENDING_DEAD_LETTER_PREFIX = 'pending/';

/**
 * R2 key of a parked dead letter: one per message id. Readable for the usual ids; a hash for ids too long
 * for an R2 key (at most 1,024 bytes).
 */
export async function parkedKey(messageId: string): Promise<string> {
  const encoded = encodeURIComponent(toStorableText(messageId));
  const name = encoded.length <= 512 ? encoded : `sha256-${await sha256Hex(messageId)}`;
  return `${PENDING_DEAD_LETTER_PREFIX}${name}.json`;
}

/**
 * The producer binding a dead letter goes back to. The queue name is the source of truth (it carries the
 * environment suffix in production); the body's type is the fallback for messages the platform dead-lettered,
 * whose queue is unknown: without it a notification or report job the platform gave up on (our consumer
 * threw, or the database was down for all its retries) could never be redriven.
 */
export function redriveTarget(env: Env, queue: string, body: unknown): Queue | null {
  const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  if (queue.startsWith('pulsestream-events') || type === 'events') return env.EVENTS;
  if (queue.startsWith('pulsestream-notifications') || isNotifyMessage(body)) return env.NOTIFICATIONS;
  if (queue.startsWith('pulsestream-reports') || isReportJobMessage(body)) return env.REPORTS;
  return null;
}

export interface RedriveResult {
  /** Dead letters re-enqueued by this call. */
  redriven: number;
  /** Claimed but left pending (no target queue, or the send failed). */
  failed: number;
}

/**
 * Re-enqueues pending dead letters. Each letter is leased in the database before it is sent (so two concurrent
 * redrives never send one twice while the lease holds), marked redriven only once its send succeeded, and
 * released if the send fails. If this invocation dies anywhere in between (CPU limit, deploy, eviction) or the
 * database fails after the send, nothing is lost: the lease expires and a later run claims the letter again (at
 * worst it is sent twice, which every consumer takes idempotently). A redriven events message is harmless even
 * if it was stored meanwhile, because the insert is idempotent. A letter with no target queue stays pending but
 * its redrive is counted, so `maxRedrives` leaves it for a human.
 * @param opts.tenantId one tenant (the API), or null for all (the cron).
 * @param opts.maxRedrives skip letters redriven this often already (automatic redrive gives up on poison).
 * @param opts.now the clock leases are taken and judged by; the database's unless given (tests).
 */
export async function redriveDeadLetters(
  services: Services,
  env: Env,
  opts: { tenantId: string | null; limit?: number; maxRedrives?: number; now?: Date },
): Promise<RedriveResult> {
  const db = services.db();
  const claimed = await claimDeadLetters(db, {
    tenantId: opts.tenantId,
    limit: opts.limit ?? 500,
    ...(opts.maxRedrives !== undefined ? { maxRedrives: opts.maxRedrives } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  const result: RedriveResult = { redriven: 0, failed: 0 };
  const byQueue = new Map<Queue, ClaimedDeadLetter[]>();
  const unroutable: ClaimedDeadLetter[] = [];
  for (const letter of claimed) {
    const target = redriveTarget(env, letter.queue, letter.body);
    if (!target) {
      unroutable.push(letter);
      continue;
    }
    const list = byQueue.get(target);
    if (list) list.push(letter);
    else byQueue.set(target, [letter]);
  }
  const failed: ClaimedDeadLetter[] = [];
  for (const [queue, letters] of byQueue) {
    const calls = packItems(
      letters,
      letters.map((l) => jsonBytes(l.body)),
      { maxItems: MAX_SEND_BATCH_MESSAGES, maxBytes: MAX_SEND_BATCH_BYTES },
    );
    for (const call of calls) {
      try {
        await queue.sendBatch(call.items.map((l) => ({ body: l.body, contentType: 'json' as const })));
      } catch (err) {
        services.logger.error('redrive: send failed', { letters: call.items.length, error: (err as Error).message });
        failed.push(...call.items);
        continue;
      }
      result.redriven += call.items.length;
      // Marked per send, so a later failure or kill leaves only unsent letters to the lease's expiry.
      await settle(services, 'redrive: marking sent letters failed; they are sent again once their lease expires', () =>
        markDeadLettersRedriven(db, call.items),
      );
    }
  }
  await settle(services, 'redrive: releasing failed letters failed; they are claimable once their lease expires', () =>
    unclaimDeadLetters(db, failed),
  );
  await settle(services, 'redrive: releasing unroutable letters failed; their lease expires', () =>
    unclaimDeadLetters(db, unroutable, { countRedrive: true }),
  );
  result.failed = failed.length + unroutable.length;
  if (unroutable.length > 0) {
    services.logger.warn('redrive: dead letters with no target queue', { ids: unroutable.map((l) => l.id) });
  }
  return result;
}

/**
 * Runs a bookkeeping write whose failure loses nothing (the lease expires instead) and must not hide what the
 * redrive already did: logged, never thrown.
 */
async function settle(services: Services, message: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    services.logger.error(message, { error: describeFailure(err) });
  }
}

/** What one drain of parked dead letters did. */
export interface DrainResult {
  /** Letters moved into `dead_letters` (and deleted from R2). */
  moved: number;
  /** Letters left in R2 because storing them failed; the next run tries again. */
  failed: number;
}

/**
 * Moves dead letters parked in R2 (written while the database was down) into `dead_letters`, letter by
 * letter, deleting each object once its letter is stored. One letter that fails to store (or an object that
 * is not a letter) is left for the next run and never stops the others; storing is idempotent (unique
 * message id), so a crash between the two steps is harmless.
 */
export async function drainParkedDeadLetters(services: Services, bucket: R2Bucket, limit = 500): Promise<DrainResult> {
  const listed = await bucket.list({ prefix: PENDING_DEAD_LETTER_PREFIX, limit });
  const result: DrainResult = { moved: 0, failed: 0 };
  for (const object of listed.objects) {
    try {
      const stored = await bucket.get(object.key);
      if (!stored) continue;
      const letter = (await stored.json()) as DeadLetterInsert;
      await storeDeadLetters(services.db(), [letter]);
      await bucket.delete(object.key);
      result.moved++;
    } catch (err) {
      result.failed++;
      services.logger.error('drain: parked dead letter not stored', { key: object.key, error: describeFailure(err) });
    }
  }
  return result;
}
