import type { Database } from '../client';
import { describeFailure, isDataError } from '../errors';
import { type EventInsert, type InsertEventsResult, insertEvents } from './events';

/** One event Postgres refused for its content, with the driver's reason. */
export interface PoisonEvent {
  row: EventInsert;
  reason: string;
}

export interface IsolatingInsertResult extends InsertEventsResult {
  /** Events refused for their own content; every other event of the input was written. */
  poison: PoisonEvent[];
}

/**
 * `insertEvents`, but one bad event cannot take its batch-mates down. When the write fails because of the
 * data (a SQLSTATE of class 22, 23 or 54, or a row that cannot be encoded), the rows are split in halves and each half written on its own,
 * down to single rows: the rows that fail alone are the poison, everything else is stored. Each write is
 * one idempotent statement, so rows written before a later half failed stay written, once. A failure that
 * is not about the data (the database is down) is thrown as is, for the caller to retry.
 */
export async function insertEventsIsolating(db: Database, rows: EventInsert[]): Promise<IsolatingInsertResult> {
  try {
    return { ...(await insertEvents(db, rows)), poison: [] };
  } catch (err) {
    // A RangeError is a row that cannot even be encoded (an invalid date in a malformed, redriven message).
    if (!isDataError(err) && !(err instanceof RangeError)) throw err;
    const [only] = rows;
    if (rows.length === 1 && only) return { inserted: [], poison: [{ row: only, reason: describeFailure(err) }] };
    const half = Math.ceil(rows.length / 2);
    const left = await insertEventsIsolating(db, rows.slice(0, half));
    const right = await insertEventsIsolating(db, rows.slice(half));
    return { inserted: [...left.inserted, ...right.inserted], poison: [...left.poison, ...right.poison] };
  }
}
