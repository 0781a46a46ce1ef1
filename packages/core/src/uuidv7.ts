/**
 * UUID version 7 (RFC 9562 §5.7): 48-bit Unix ms timestamp, version 7, variant
 * 0b10, random rest. Time-ordered ids keep B-tree inserts append-mostly.
 *
 * Monotonicity (RFC 9562 §6.2, method 1 "fixed-length dedicated counter"): the
 * 12-bit rand_a plus the top 30 bits of rand_b form a 42-bit counter, seeded
 * randomly (top bit clear, leaving room to count) each new millisecond and
 * incremented for further ids in the same millisecond. This matters on Workers,
 * where Date.now() does not advance during synchronous execution, so a batch of
 * events generated in one request shares a single millisecond.
 */

import { bytesToHex } from './hex';

const COUNTER_BITS = 42;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;
const LOW_BITS = 2 ** 30;
const MAX_TIMESTAMP = 2 ** 48 - 1;

const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

// Per-isolate state; only used to order consecutive ids generated in the same millisecond.
let lastMs = -1;
let lastCounter = 0;

function randomSeed(): number {
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  const hi = (r[0] ?? 0) % 2 ** (COUNTER_BITS - 1 - 32); // 9 bits
  return hi * 2 ** 32 + (r[1] ?? 0);
}

/**
 * A new UUIDv7 string for `now` (epoch ms).
 *
 * Consecutive ids generated with the same `now` in one isolate sort in
 * generation order. An explicit `now` is always honoured as given, even when
 * earlier than the previous call's: a truthful timestamp matters more than
 * ordering across a clock step backwards.
 * @throws RangeError when now is not an integer in [0, 2^48).
 */
export function uuidv7(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIMESTAMP) {
    throw new RangeError(`uuidv7 timestamp must be an integer in [0, 2^48), got ${now}`);
  }
  let ms = now;
  let counter: number;
  if (ms === lastMs && lastCounter < COUNTER_MAX) {
    counter = lastCounter + 1;
  } else if (ms === lastMs) {
    // 2^41 ids in one millisecond: borrow the next millisecond, as RFC 9562 allows.
    ms = Math.min(MAX_TIMESTAMP, ms + 1);
    counter = randomSeed();
  } else {
    counter = randomSeed();
  }
  lastMs = ms;
  lastCounter = counter;

  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes.subarray(12));
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  const randA = Math.floor(counter / LOW_BITS); // 12 bits
  const low = counter % LOW_BITS; // 30 bits
  bytes[6] = 0x70 | (randA >>> 8);
  bytes[7] = randA & 0xff;
  bytes[8] = 0x80 | (low >>> 24);
  bytes[9] = (low >>> 16) & 0xff;
  bytes[10] = (low >>> 8) & 0xff;
  bytes[11] = low & 0xff;

  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True when `id` is a syntactically valid UUIDv7 (any case). */
export function isUuidv7(id: string): boolean {
  return UUIDV7_RE.test(id);
}

/**
 * The epoch-ms timestamp embedded in a UUIDv7.
 * @throws TypeError when `id` is not a UUIDv7.
 */
export function uuidv7Timestamp(id: string): number {
  if (!UUIDV7_RE.test(id)) throw new TypeError(`not a UUIDv7: ${id}`);
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
