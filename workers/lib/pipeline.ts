import { sha256Hex } from '@pulsestream/core/hex';
import { jsonBytes, MAX_SEND_BATCH_BYTES, MAX_SEND_BATCH_MESSAGES, packItems } from '@pulsestream/core/ingest-pack';
import { isNotifyMessage } from '@pulsestream/core/notifications/message';
import { isReportJobMessage } from '@pulsestream/core/reports';
import { toStorableText } from '@pulsestream/core/storable';
import { clipText } from '@pulsestream/core/utf8';
import { parseParkedDeadLetter } from '@pulsestream/core/wire/parked-dead-letter';
import {
  type ClaimedDeadLetter,
  claimDeadLetters,
  describeFailure,
  isDataError,
  markDeadLettersRedriven,
  pingDatabase,
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

/**
 * R2 prefix where the drain sets aside parked objects that can never be stored: not JSON, not a letter, or a
 * letter the database refuses for its content. Copied there byte for byte (the reason in the object's
 * `customMetadata.reason`, its old key in `from`), never deleted: they may hold acknowledged events.
 */
export const QUARANTINED_DEAD_LETTER_PREFIX = 'quarantine/';

/**
 * Where the drain resumes (the last key it finished, outside the pending prefix), so that objects left in
 * place (a failed R2 read, a store that failed while the database answered) never hide the keys after them:
 * each run goes on from where the last one stopped and starts over only once it has reached the end.
 */
export const DRAIN_RESUME_KEY = 'drain/resume-after';

/**
 * Parked objects one drain examines at most. Each costs up to three R2 operations (read, then store and delete,
 * or copy and delete), and a cron invocation also lists, pings and redrives: 200 keeps the run well inside the
 * platform's 1,000 subrequests per invocation.
 */
export const DRAIN_OBJECTS_PER_RUN = 200;

/** What one drain of parked dead letters did. */
export interface DrainResult {
  /** Letters moved into `dead_letters` (and deleted from R2). */
  moved: number;
  /** Objects left in R2 because reading, storing or quarantining them failed; a later run tries again. */
  failed: number;
  /** Objects moved under {@link QUARANTINED_DEAD_LETTER_PREFIX} because they can never be stored. */
  quarantined: number;
  /** True when the database stopped answering: the run ended there, leaving the rest for the next one. */
  stoppedEarly: boolean;
}

/** One parked object's fate. */
type Outcome = 'moved' | 'failed' | 'quarantined' | 'gone' | 'outage';

/**
 * Moves dead letters parked in R2 (written while the database was down) into `dead_letters`, letter by
 * letter, deleting each object once its letter is stored; storing is idempotent (unique message id), so a
 * crash between the two steps is harmless. At most `maxObjects` objects a run, paging through the prefix from
 * where the last run stopped, so the work of a run is bounded and every key is reached within
 * ⌈parked / maxObjects⌉ runs. An object that can never be stored is quarantined (see
 * {@link QUARANTINED_DEAD_LETTER_PREFIX}) instead of being retried every run in front of the others. A store
 * that fails otherwise is an outage if the database no longer answers a ping: the run stops there, leaving
 * everything in place, rather than trying every letter against a database that is down.
 */
export async function drainParkedDeadLetters(
  services: Services,
  bucket: R2Bucket,
  opts: { maxObjects?: number } = {},
): Promise<DrainResult> {
  const maxObjects = opts.maxObjects ?? DRAIN_OBJECTS_PER_RUN;
  const result: DrainResult = { moved: 0, failed: 0, quarantined: 0, stoppedEarly: false };
  const resumeAfter = await readResumeKey(services, bucket);
  let after = resumeAfter;
  let examined = 0;
  let reachedEnd = false;
  while (examined < maxObjects) {
    const listed = await bucket.list({
      prefix: PENDING_DEAD_LETTER_PREFIX,
      limit: Math.min(1000, maxObjects - examined),
      ...(after !== undefined ? { startAfter: after } : {}),
    });
    for (const object of listed.objects) {
      examined++;
      const outcome = await drainOne(services, bucket, object.key);
      if (outcome === 'outage') {
        result.failed++;
        result.stoppedEarly = true;
        break;
      }
      if (outcome !== 'gone') result[outcome]++;
      after = object.key;
    }
    if (result.stoppedEarly) break;
    // An empty page that says it is truncated would loop: stop, the resume point keeps the progress.
    if (!listed.truncated || listed.objects.length === 0) {
      reachedEnd = !listed.truncated;
      break;
    }
  }
  await saveResumeKey(services, bucket, resumeAfter, reachedEnd ? undefined : after);
  return result;
}

async function drainOne(services: Services, bucket: R2Bucket, key: string): Promise<Outcome> {
  let bytes: ArrayBuffer;
  try {
    const stored = await bucket.get(key);
    if (!stored) return 'gone';
    bytes = await stored.arrayBuffer();
  } catch (err) {
    services.logger.error('drain: parked dead letter not read', { key, error: describeFailure(err) });
    return 'failed';
  }
  const parsed = parseParkedDeadLetter(new TextDecoder().decode(bytes));
  if (!parsed.ok) return quarantine(services, bucket, key, bytes, parsed.problem);
  try {
    await storeDeadLetters(services.db(), [parsed.letter]);
  } catch (err) {
    const reason = describeFailure(err);
    // The letter's own content: storing it fails the same way every time.
    if (isDataError(err)) return quarantine(services, bucket, key, bytes, reason);
    if (!(await databaseAnswers(services))) {
      services.logger.warn('drain: database unavailable, stopping until the next run', { key, error: reason });
      return 'outage';
    }
    services.logger.error('drain: parked dead letter not stored', { key, error: reason });
    return 'failed';
  }
  try {
    await bucket.delete(key);
  } catch (err) {
    // Stored already: the next run stores it again (idempotent) and deletes it.
    services.logger.error('drain: stored dead letter not deleted from R2', { key, error: describeFailure(err) });
    return 'failed';
  }
  return 'moved';
}

async function quarantine(
  services: Services,
  bucket: R2Bucket,
  key: string,
  bytes: ArrayBuffer,
  reason: string,
): Promise<Outcome> {
  const to = `${QUARANTINED_DEAD_LETTER_PREFIX}${key.slice(PENDING_DEAD_LETTER_PREFIX.length)}`;
  try {
    // Custom metadata is limited to 2 KB in all (UTF-8, names included): 300 UTF-16 units are at most 900 bytes,
    // beside a key of ~80 and a date of 24. The reason is cut (it may quote the object), the full object is kept.
    await bucket.put(to, bytes, {
      customMetadata: { reason: clipText(toStorableText(reason), 300), from: key, at: new Date().toISOString() },
    });
    await bucket.delete(key);
  } catch (err) {
    services.logger.error('drain: quarantining a parked object failed', { key, error: describeFailure(err) });
    return 'failed';
  }
  services.logger.error('drain: parked object can never be stored, quarantined', { key, quarantinedAs: to, reason });
  return 'quarantined';
}

async function databaseAnswers(services: Services): Promise<boolean> {
  try {
    await pingDatabase(services.db());
    return true;
  } catch {
    return false;
  }
}

/** The key the last run stopped after, if any; a failed read starts from the beginning (still bounded). */
async function readResumeKey(services: Services, bucket: R2Bucket): Promise<string | undefined> {
  try {
    const stored = await bucket.get(DRAIN_RESUME_KEY);
    const key = stored ? await stored.text() : '';
    return key.startsWith(PENDING_DEAD_LETTER_PREFIX) ? key : undefined;
  } catch (err) {
    services.logger.warn('drain: resume point not read, starting from the first key', { error: describeFailure(err) });
    return undefined;
  }
}

async function saveResumeKey(
  services: Services,
  bucket: R2Bucket,
  previous: string | undefined,
  next: string | undefined,
): Promise<void> {
  if (next === previous) return;
  try {
    if (next === undefined) await bucket.delete(DRAIN_RESUME_KEY);
    else await bucket.put(DRAIN_RESUME_KEY, next);
  } catch (err) {
    services.logger.warn('drain: resume point not saved', { error: describeFailure(err) });
  }
}
