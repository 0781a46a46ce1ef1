/**
 * Pure token-bucket arithmetic. The caller (a Durable Object) owns the state and
 * the clock; these functions only compute the next state, so they are trivially
 * testable and the same math serves rate limits and burst quotas.
 */

/** Persisted bucket state. */
export interface BucketState {
  tokens: number;
  /** epoch ms of the last refill */
  updatedAt: number;
}

/** Bucket parameters. */
export interface BucketConfig {
  capacity: number;
  refillPerSec: number;
}

/** Outcome of {@link tryTake}. */
export interface TakeResult {
  ok: boolean;
  /** New state to persist; tokens unchanged (but refilled) when !ok. */
  state: BucketState;
  /** Whole tokens left after this call. */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until `n` tokens are available (Retry-After); 0 when ok. */
  retryAfterSeconds: number;
}

/** Outcome of {@link peek}. */
export interface PeekResult {
  state: BucketState;
  remaining: number;
  resetSeconds: number;
}

/**
 * Cap for waits that would otherwise be infinite (no refill, or a request larger
 * than the bucket): headers must carry a finite number.
 */
export const MAX_WAIT_SECONDS = 86_400;

/**
 * Refill arithmetic accumulates float error (0.1 + 0.2 …); a take that is short
 * by less than this is treated as satisfiable so clients are not refused by rounding.
 */
const EPSILON = 1e-9;

function assertConfig(config: BucketConfig): void {
  if (!Number.isFinite(config.capacity) || config.capacity < 0) {
    throw new RangeError(`capacity must be finite and >= 0, got ${config.capacity}`);
  }
  if (!Number.isFinite(config.refillPerSec) || config.refillPerSec < 0) {
    throw new RangeError(`refillPerSec must be finite and >= 0, got ${config.refillPerSec}`);
  }
}

/** A full bucket as of `now`. */
export function fullBucket(config: BucketConfig, now: number): BucketState {
  assertConfig(config);
  return { tokens: config.capacity, updatedAt: now };
}

/**
 * State after refilling up to `now`. A clock that went backwards refills nothing
 * and keeps the later timestamp, so a skewed clock cannot mint tokens. Tokens
 * above capacity (after a capacity decrease) are clamped.
 */
export function refill(state: BucketState, config: BucketConfig, now: number): BucketState {
  assertConfig(config);
  const elapsedMs = now - state.updatedAt;
  if (!(elapsedMs > 0)) {
    return { tokens: Math.min(config.capacity, state.tokens), updatedAt: state.updatedAt };
  }
  const tokens = Math.min(config.capacity, state.tokens + (elapsedMs * config.refillPerSec) / 1000);
  return { tokens, updatedAt: now };
}

function secondsUntil(tokens: number, target: number, refillPerSec: number): number {
  const missing = target - tokens;
  if (missing <= EPSILON) return 0;
  if (refillPerSec <= 0) return MAX_WAIT_SECONDS;
  return Math.min(MAX_WAIT_SECONDS, Math.ceil(missing / refillPerSec - EPSILON));
}

function remainingOf(tokens: number): number {
  return Math.max(0, Math.floor(tokens + EPSILON));
}

/** Current remaining tokens and reset time without taking anything. */
export function peek(state: BucketState, config: BucketConfig, now: number): PeekResult {
  const next = refill(state, config, now);
  return {
    state: next,
    remaining: remainingOf(next.tokens),
    resetSeconds: secondsUntil(next.tokens, config.capacity, config.refillPerSec),
  };
}

/**
 * Takes `n` tokens if available, all or nothing.
 * @throws RangeError when n is negative or not finite.
 */
export function tryTake(state: BucketState, config: BucketConfig, n: number, now: number): TakeResult {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`n must be finite and >= 0, got ${n}`);
  const refilled = refill(state, config, now);
  if (refilled.tokens + EPSILON >= n) {
    const tokens = Math.max(0, refilled.tokens - n);
    return {
      ok: true,
      state: { tokens, updatedAt: refilled.updatedAt },
      remaining: remainingOf(tokens),
      resetSeconds: secondsUntil(tokens, config.capacity, config.refillPerSec),
      retryAfterSeconds: 0,
    };
  }
  // A request larger than the whole bucket can never succeed: say so with the cap.
  const retryAfterSeconds =
    n > config.capacity + EPSILON ? MAX_WAIT_SECONDS : secondsUntil(refilled.tokens, n, config.refillPerSec);
  return {
    ok: false,
    state: refilled,
    remaining: remainingOf(refilled.tokens),
    resetSeconds: secondsUntil(refilled.tokens, config.capacity, config.refillPerSec),
    retryAfterSeconds,
  };
}
