import { toStorableText } from '@pulsestream/core/storable';
import { isUuid } from '@pulsestream/core/uuid';
import { and, desc, eq, getTableColumns, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deadLetters } from '../schema';

/** A queue message that exhausted its retries, as the dead-letter consumer stores it. */
export interface DeadLetterInsert {
  /** Stable id of the message's payload (the events batch id when there is one), unique per dead letter. */
  messageId: string;
  tenantId: string | null;
  /** Name of the queue the message came from, so redrive sends it back there. */
  queue: string;
  body: unknown;
  reason: string;
  attempts: number;
}

/** A stored dead letter. */
export interface DeadLetter extends DeadLetterInsert {
  id: string;
  createdAt: Date;
  redrivenAt: Date | null;
  redriveCount: number;
}

/**
 * Stores dead letters in one statement. A dead letter delivered twice is stored once (unique message id);
 * one that comes back after a redrive failed again is re-armed (`redriven_at` and any redrive lease cleared, so
 * a redrive still holding the old lease cannot mark it redriven) with its new reason, keeping its
 * `redrive_count` so automatic redrive can give up on a poison message.
 */
export async function storeDeadLetters(db: Database, letters: DeadLetterInsert[]): Promise<void> {
  if (letters.length === 0) return;
  // One row per message id, the last one winning as a later upsert would: PostgreSQL refuses an upsert that
  // touches one row twice, and that would fail every letter of the call.
  const unique = [...new Map(letters.map((d) => [toStorableText(d.messageId), d])).values()];
  const col = <T>(pick: (d: DeadLetterInsert) => T) => sql.param(unique.map(pick));
  // Every value is made storable first: a dead letter is whatever failed, and storing it must not fail too.
  await db.execute(sql`
    INSERT INTO dead_letters AS d (message_id, tenant_id, queue, body, reason, attempts)
    SELECT message_id, tenant_id, queue, body, reason, attempts
    FROM unnest(${col((d) => toStorableText(d.messageId))}::text[], ${col((d) => uuidOrNull(d.tenantId))}::uuid[],
                ${col((d) => toStorableText(d.queue))}::text[], ${col((d) => bodyText(d.body))}::text[],
                ${col((d) => toStorableText(d.reason))}::text[], ${col((d) => safeInt(d.attempts))}::int[])
      AS t(message_id, tenant_id, queue, body, reason, attempts)
    ON CONFLICT (message_id) DO UPDATE SET
      reason = excluded.reason,
      attempts = excluded.attempts,
      redriven_at = NULL,
      redrive_claimed_until = NULL`);
}

function uuidOrNull(value: string | null): string | null {
  return isUuid(value) ? value : null;
}

function safeInt(value: number): number {
  return Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31 ? value : 0;
}

/**
 * JSON text of a body. `JSON.stringify` escapes NUL and lone surrogates as ASCII, so the text always stores
 * and parses back to the same value; a body that cannot be stringified (a cycle, a BigInt) is kept as a note.
 */
function bodyText(body: unknown): string {
  try {
    return toStorableText(JSON.stringify(body) ?? 'null');
  } catch (err) {
    return JSON.stringify({ unserializable: String(err) });
  }
}

/** The stored body back as a value; a body that is not JSON (never written by this code) comes back as text. */
export function parseDeadLetterBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A letter's place in the list's (created_at, id) order; `micros` keeps Postgres' microsecond precision. */
export interface DeadLetterPosition {
  micros: string;
  id: string;
}

/**
 * A tenant's dead letters, newest first; `pendingOnly` leaves out those already redriven (a letter under a
 * redrive's lease is still pending: it is redriven only once its send succeeded). `after` continues
 * from a letter (keyset on created_at and id: the letters of one statement share a created_at, and a page
 * cut among them must not skip the rest); `before` keeps letters created before an instant.
 */
export async function listDeadLetters(
  db: Database,
  tenantId: string,
  opts: { limit: number; before?: Date | undefined; after?: DeadLetterPosition | undefined; pendingOnly?: boolean },
): Promise<(DeadLetter & { position: DeadLetterPosition })[]> {
  const after = opts.after;
  const rows = await db
    .select({
      ...getTableColumns(deadLetters),
      micros: sql<string>`(extract(epoch FROM ${deadLetters.createdAt}) * 1000000)::bigint::text`,
    })
    .from(deadLetters)
    .where(
      and(
        eq(deadLetters.tenantId, tenantId),
        opts.before ? lt(deadLetters.createdAt, opts.before) : undefined,
        after
          ? sql`(${deadLetters.createdAt}, ${deadLetters.id}) <
                (timestamptz 'epoch' + ${after.micros}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : undefined,
        opts.pendingOnly ? isNull(deadLetters.redrivenAt) : undefined,
      ),
    )
    .orderBy(desc(deadLetters.createdAt), desc(deadLetters.id))
    .limit(opts.limit);
  return rows.map(({ micros, ...r }) => ({
    ...r,
    body: parseDeadLetterBody(r.body),
    position: { micros, id: r.id },
  }));
}

/** How long a redrive holds the letters it claimed before another redrive may take them: far past a send. */
export const REDRIVE_LEASE_SECONDS = 300;

/** A dead letter claimed for redrive, under a lease. */
export interface ClaimedDeadLetter {
  id: string;
  messageId: string;
  queue: string;
  body: unknown;
  /**
   * The claim's lease expiry, to the millisecond: also its fencing token. Marking or releasing the letter
   * applies only while this lease is still the letter's own, so a redrive whose lease expired (and was taken
   * by another) or whose letter was re-armed meanwhile changes nothing.
   */
  claimedUntil: Date;
}

/**
 * Leases up to `limit` pending dead letters (not redriven, and not under a live lease) for redrive and returns
 * them, oldest first: `FOR UPDATE SKIP LOCKED` and the lease mean two concurrent redrives never both take a
 * letter while its lease holds. The claim counts a redrive (`redrive_count + 1`), so a letter whose redrive
 * never reports back (the Worker was killed each time) is also given up after `maxRedrives`. Nothing is marked
 * redriven here: only `markDeadLettersRedriven`, after a successful send, does; a lease that expires unmarked
 * makes the letter claimable again, so a killed redrive is retried by the next run.
 * `tenantId` null claims across tenants (the cron); `maxRedrives` skips letters redriven that many times
 * already (poison); `now` is the database's clock unless given (tests move it past a lease).
 */
export async function claimDeadLetters(
  db: Database,
  opts: { tenantId: string | null; limit: number; maxRedrives?: number; leaseSeconds?: number; now?: Date },
): Promise<ClaimedDeadLetter[]> {
  const tenantFilter = opts.tenantId === null ? sql`true` : sql`tenant_id = ${opts.tenantId}::uuid`;
  const redriveFilter = opts.maxRedrives === undefined ? sql`true` : sql`redrive_count < ${opts.maxRedrives}`;
  const now = opts.now ? sql`${opts.now.toISOString()}::timestamptz` : sql`now()`;
  const lease = Math.max(0, Math.floor(opts.leaseSeconds ?? REDRIVE_LEASE_SECONDS));
  // Truncated to the millisecond so the lease round-trips exactly through a JS Date as the fencing token.
  const result = await db.execute<{ id: string; message_id: string; queue: string; body: string; until_ms: string }>(
    sql`
    UPDATE dead_letters
    SET redrive_claimed_until = date_trunc('milliseconds', ${now} + ${lease}::double precision * interval '1 second'),
        redrive_count = redrive_count + 1
    WHERE id IN (
      SELECT id FROM dead_letters
      WHERE redriven_at IS NULL
        AND (redrive_claimed_until IS NULL OR redrive_claimed_until <= ${now})
        AND ${tenantFilter} AND ${redriveFilter}
      ORDER BY created_at, id
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, message_id, queue, body,
      (extract(epoch FROM redrive_claimed_until) * 1000)::bigint::text AS until_ms`,
  );
  return result.rows.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    queue: r.queue,
    body: parseDeadLetterBody(r.body),
    claimedUntil: new Date(Number(r.until_ms)),
  }));
}

/** The (id, lease) pairs of claimed letters as two parallel array parameters. */
function leaseParams(letters: Pick<ClaimedDeadLetter, 'id' | 'claimedUntil'>[]) {
  return {
    ids: sql.param(letters.map((l) => l.id)),
    until: sql.param(letters.map((l) => l.claimedUntil.toISOString())),
  };
}

/**
 * Marks claimed letters redriven after their send succeeded, ending the lease. A letter whose lease is no longer
 * this claim's (it expired and another redrive took it, or the letter was dead-lettered again and re-armed) is
 * left alone: marking it would hide a letter that is pending again.
 */
export async function markDeadLettersRedriven(
  db: Database,
  letters: Pick<ClaimedDeadLetter, 'id' | 'claimedUntil'>[],
): Promise<void> {
  if (letters.length === 0) return;
  const p = leaseParams(letters);
  await db.execute(sql`
    UPDATE dead_letters AS d SET redriven_at = now(), redrive_claimed_until = NULL
    FROM unnest(${p.ids}::uuid[], ${p.until}::timestamptz[]) AS c(id, until)
    WHERE d.id = c.id AND d.redrive_claimed_until = c.until AND d.redriven_at IS NULL`);
}

/**
 * Releases a claim whose re-enqueue failed, so the letters are claimable at once instead of when the lease
 * expires. A failed send (the queue is down) does not count as a redrive; `countRedrive` keeps the count for
 * letters no queue takes, so automatic redrive gives up on them instead of claiming them first, every run, ahead
 * of every letter behind them. Fenced by the lease like `markDeadLettersRedriven`. If this fails, nothing is
 * lost: the lease expires and the letters are claimed again (their redrive stays counted).
 */
export async function unclaimDeadLetters(
  db: Database,
  letters: Pick<ClaimedDeadLetter, 'id' | 'claimedUntil'>[],
  opts: { countRedrive?: boolean } = {},
): Promise<void> {
  if (letters.length === 0) return;
  const count = opts.countRedrive ? sql`d.redrive_count` : sql`greatest(d.redrive_count - 1, 0)`;
  const p = leaseParams(letters);
  await db.execute(sql`
    UPDATE dead_letters AS d SET redrive_claimed_until = NULL, redrive_count = ${count}
    FROM unnest(${p.ids}::uuid[], ${p.until}::timestamptz[]) AS c(id, until)
    WHERE d.id = c.id AND d.redrive_claimed_until = c.until AND d.redriven_at IS NULL`);
}

/**
 * Number of dead letters waiting for redrive (all tenants): letters not yet redriven, including those under a
 * redrive's lease (their send has not succeeded yet).
 */
export async function countPendingDeadLetters(db: Database): Promise<number> {
  const rows = await db
    .select({ n: sql<string>`count(*)::text` })
    .from(deadLetters)
    .where(isNull(deadLetters.redrivenAt));
  return Number(rows[0]?.n ?? 0);
}
