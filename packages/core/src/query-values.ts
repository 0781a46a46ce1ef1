/**
 * Values that arrive in query strings and cursors, checked before they reach SQL. Postgres dates run from
 * 4713 BC, but what a client can mean, and what `Date#toISOString` writes in a form Postgres reads back,
 * is years 1 to 9999; everything else is the client's mistake and gets a 4xx, never a database error.
 */
import { unstorableReason } from './storable';

/** 0001-01-01T00:00:00.000Z */
export const MIN_INSTANT_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z */
export const MAX_INSTANT_MS = 253_402_300_799_999;

const EPOCH_MS = /^-?\d{1,16}$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A result: the value, or why the input is refused (a message for a problem+json `errors` entry). */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const refuse = <T>(message: string): Checked<T> => ({ ok: false, message });

/** True when year, month and day name a real day (no 2026-02-31), years 1–9999. */
export function isRealDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** An instant: ISO 8601 (a real date, years 1–9999) or integer epoch milliseconds in the same range. */
export function parseInstant(value: string): Checked<Date> {
  const message = 'must be an ISO 8601 timestamp or epoch milliseconds, between years 1 and 9999';
  if (EPOCH_MS.test(value)) {
    const ms = Number(value);
    return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS ? { ok: true, value: new Date(ms) } : refuse(message);
  }
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return refuse(message);
  if (!isRealDay(Number(m[1]), Number(m[2]), Number(m[3]))) return refuse(`${message}, naming a real day`);
  if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) return refuse(message);
  const ms = Date.parse(m[7] ? value : `${value}${m[4] ? '' : 'T00:00'}Z`);
  if (!Number.isFinite(ms) || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) return refuse(message);
  return { ok: true, value: new Date(ms) };
}

/** A calendar day `YYYY-MM-DD` that exists (2026-02-31 does not), years 1–9999. */
export function parseCalendarDate(value: string): Checked<string> {
  const m = CALENDAR_DATE.exec(value);
  if (!m || !isRealDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    return refuse('must be a real calendar date (YYYY-MM-DD), between years 1 and 9999');
  }
  return { ok: true, value };
}

/** A filter value compared with stored text: no control characters, nothing a text column refuses. */
export function checkFilterText(value: string): Checked<string> {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return refuse('must not contain control characters');
  }
  const reason = unstorableReason(value);
  return reason === null ? { ok: true, value } : refuse(reason);
}
