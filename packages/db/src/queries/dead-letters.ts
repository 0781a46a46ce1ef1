import { toStorableText } from '@pulsestream/core/storable';
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
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
 * one that comes back after a redrive failed again is re-armed (`redriven_at` cleared) with its new reason,
 * keeping its `redrive_count` so automatic redrive can give up on a poison message.
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
      redriven_at = NULL`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidOrNull(value: string | null): string | null {
  return value !== null && UUID.test(value) ? value : null;
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

/** A tenant's dead letters, newest first; `pendingOnly` leaves out those already redriven. */
export async function listDeadLetters(
  db: Database,
  tenantId: string,
  opts: { limit: number; before?: Date | undefined; pendingOnly?: boolean },
): Promise<DeadLetter[]> {
  const rows = await db
    .select()
    .from(deadLetters)
    .where(
      and(
        eq(deadLetters.tenantId, tenantId),
        opts.before ? lt(deadLetters.createdAt, opts.before) : undefined,
        opts.pendingOnly ? isNull(deadLetters.redrivenAt) : undefined,
      ),
    )
    .orderBy(desc(deadLetters.createdAt), desc(deadLetters.id))
    .limit(opts.limit);
  return rows.map((r) => ({ ...r, body: parseDeadLetterBody(r.body) }));
}

/** A dead letter claimed for redrive. */
export interface ClaimedDeadLetter {
  id: string;
  messageId: string;
  queue: string;
  body: unknown;
}

/**
 * Marks up to `limit` not-yet-redriven dead letters as redriven and returns them, oldest first, so two
 * concurrent redrives never both send the same letter (row locks, `SKIP LOCKED`). `tenantId` null claims
 * across tenants (the cron); `maxRedrives` skips letters redriven that many times already (poison).
 */
export async function claimDeadLetters(
  db: Database,
  opts: { tenantId: string | null; limit: number; maxRedrives?: number },
): Promise<ClaimedDeadLetter[]> {
  const tenantFilter = opts.tenantId === null ? sql`true` : sql`tenant_id = ${opts.tenantId}::uuid`;
  const redriveFilter = opts.maxRedrives === undefined ? sql`true` : sql`redrive_count < ${opts.maxRedrives}`;
  const result = await db.execute<{ id: string; message_id: string; queue: string; body: string }>(sql`
    UPDATE dead_letters SET redriven_at = now(), redrive_count = redrive_count + 1
    WHERE id IN (
      SELECT id FROM dead_letters
      WHERE redriven_at IS NULL AND ${tenantFilter} AND ${redriveFilter}
      ORDER BY created_at, id
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, message_id, queue, body`);
  return result.rows.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    queue: r.queue,
    body: parseDeadLetterBody(r.body),
  }));
}

/**
 * Undoes a claim whose re-enqueue failed, so the letters stay pending. The claim's redrive is given back
 * (an outage of the queue is no reason to give up on a letter) unless `keepCount`: a letter that can never be
 * sent keeps it, so automatic redrive stops claiming it after its `maxRedrives`.
 */
export async function unclaimDeadLetters(
  db: Database,
  ids: string[],
  opts: { keepCount?: boolean } = {},
): Promise<void> {
  if (ids.length === 0) return;
  const count = opts.keepCount ? sql`redrive_count` : sql`greatest(redrive_count - 1, 0)`;
  await db.execute(sql`
    UPDATE dead_letters SET redriven_at = NULL, redrive_count = ${count}
    WHERE id = ANY(${sql.param(ids)}::uuid[])`);
}

/** Number of dead letters waiting for redrive (all tenants). */
export async function countPendingDeadLetters(db: Database): Promise<number> {
  const rows = await db
    .select({ n: sql<string>`count(*)::text` })
    .from(deadLetters)
    .where(isNull(deadLetters.redrivenAt));
  return Number(rows[0]?.n ?? 0);
}
