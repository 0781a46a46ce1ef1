/**
 * UUID version 7 (RFC 9562 §5.7) from the `uuidv7` package: 48-bit Unix ms timestamp, version 7, variant 0b10,
 * a 42-bit counter (RFC 9562 §6.2 method 1) seeded randomly each new millisecond, and 32 random bits.
 * Time-ordered ids keep B-tree inserts append-mostly. The counter matters on Workers, where Date.now() does
 * not advance during synchronous execution, so a batch of events generated in one request shares a single
 * millisecond and still gets ids in generation order.
 */

import { V7Generator } from 'uuidv7';

const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

// Per-isolate state; only used to order consecutive ids generated in the same millisecond. Made on first use:
// workerd refuses random values at global scope (the generator draws them lazily, but keep it out of there).
let generator: V7Generator | undefined;

/**
 * A new UUIDv7 string for `now` (epoch ms).
 *
 * Consecutive ids generated with the same `now` in one isolate sort in generation order. An explicit `now` is
 * always honoured as given, even when earlier than the previous call's (a rollback allowance of 0): a truthful
 * timestamp matters more than ordering across a clock step backwards.
 * @throws RangeError when now is not an integer in [0, 2^48).
 */
export function uuidv7(now: number = Date.now()): string {
  if (!generator) {
    generator = new V7Generator();
    generator.setRollbackAllowance(0);
  }
  return generator.generateOrResetWithTs(now).toString();
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
