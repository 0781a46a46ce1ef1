import { describe, expect, it } from 'vitest';
import type { BucketConfig, BucketState } from './token-bucket';
import { fullBucket, MAX_WAIT_SECONDS, peek, refill, tryTake } from './token-bucket';

const T0 = 1_700_000_000_000;

describe('tryTake without refill', () => {
  const config: BucketConfig = { capacity: 1000, refillPerSec: 0 };

  it('admits exactly 33 takes of 30, then a take of 10, then nothing', () => {
    let state: BucketState = fullBucket(config, T0);
    let succeeded = 0;
    let taken = 0;
    for (let i = 0; i < 50; i++) {
      const r = tryTake(state, config, 30, T0 + i);
      state = r.state;
      if (r.ok) {
        succeeded++;
        taken += 30;
        expect(r.retryAfterSeconds).toBe(0);
      } else {
        expect(r.remaining).toBe(10);
        expect(r.state.tokens).toBe(10);
        expect(r.retryAfterSeconds).toBe(MAX_WAIT_SECONDS);
        expect(r.resetSeconds).toBe(MAX_WAIT_SECONDS);
      }
    }
    expect(succeeded).toBe(33);
    expect(taken).toBe(990);
    const ten = tryTake(state, config, 10, T0 + 100);
    expect(ten.ok).toBe(true);
    expect(ten.remaining).toBe(0);
    const one = tryTake(ten.state, config, 1, T0 + 200);
    expect(one.ok).toBe(false);
    expect(one.remaining).toBe(0);
    expect(Number.isFinite(one.retryAfterSeconds)).toBe(true);
    expect(tryTake(one.state, config, 0, T0 + 300).ok).toBe(true);
  });

  it('reports a full bucket as resetting now', () => {
    const r = peek(fullBucket(config, T0), config, T0 + 5000);
    expect(r.remaining).toBe(1000);
    expect(r.resetSeconds).toBe(0);
  });
});

describe('tryTake with refill', () => {
  const config: BucketConfig = { capacity: 100, refillPerSec: 10 };

  it('refills proportionally to elapsed time, capped at capacity', () => {
    const empty: BucketState = { tokens: 0, updatedAt: T0 };
    expect(refill(empty, config, T0 + 2500).tokens).toBe(25);
    expect(refill(empty, config, T0 + 60_000).tokens).toBe(100);
    expect(refill(empty, config, T0 + 2500).updatedAt).toBe(T0 + 2500);
  });

  it('computes Retry-After for n tokens and Reset for a full bucket', () => {
    const state: BucketState = { tokens: 3, updatedAt: T0 };
    const r = tryTake(state, config, 20, T0);
    expect(r.ok).toBe(false);
    expect(r.state.tokens).toBe(3);
    expect(r.remaining).toBe(3);
    expect(r.retryAfterSeconds).toBe(2); // 17 missing at 10/s → 1.7 s → 2
    expect(r.resetSeconds).toBe(10); // 97 missing → 9.7 s → 10
    const later = tryTake(r.state, config, 20, T0 + 1700);
    expect(later.ok).toBe(true);
    expect(later.remaining).toBe(0);
  });

  it('floors fractional remaining tokens', () => {
    const r = peek({ tokens: 0, updatedAt: T0 }, config, T0 + 1550);
    expect(r.state.tokens).toBeCloseTo(15.5, 10);
    expect(r.remaining).toBe(15);
  });

  it('does not refuse a take because of accumulated float error', () => {
    // 0.1 token per 10 ms step; ten steps sum to 0.9999999999999999 in floating point.
    const cfg: BucketConfig = { capacity: 5, refillPerSec: 10 };
    let state: BucketState = { tokens: 0, updatedAt: T0 };
    let okCount = 0;
    for (let i = 1; i <= 1000; i++) {
      const r = tryTake(state, cfg, i % 10 === 0 ? 1 : 0, T0 + i * 10);
      state = r.state;
      if (r.ok && i % 10 === 0) okCount++;
    }
    expect(okCount).toBe(100);
    expect(state.tokens).toBeGreaterThanOrEqual(0);
  });

  it('refuses requests larger than the capacity with a finite wait', () => {
    const r = tryTake(fullBucket(config, T0), config, 101, T0);
    expect(r.ok).toBe(false);
    expect(r.retryAfterSeconds).toBe(MAX_WAIT_SECONDS);
    expect(r.state.tokens).toBe(100);
  });

  it('caps very long waits', () => {
    const slow: BucketConfig = { capacity: 1_000_000, refillPerSec: 0.001 };
    const r = tryTake({ tokens: 0, updatedAt: T0 }, slow, 1000, T0);
    expect(r.retryAfterSeconds).toBe(MAX_WAIT_SECONDS);
  });

  it('ignores a clock that goes backwards', () => {
    const state: BucketState = { tokens: 5, updatedAt: T0 };
    const back = refill(state, config, T0 - 60_000);
    expect(back).toEqual({ tokens: 5, updatedAt: T0 });
    // Going back then forward must not double-count the interval.
    expect(refill(back, config, T0 + 1000).tokens).toBe(15);
  });

  it('clamps tokens above a lowered capacity', () => {
    const r = peek({ tokens: 500, updatedAt: T0 }, config, T0);
    expect(r.remaining).toBe(100);
  });
});

describe('validation', () => {
  it('rejects bad arguments', () => {
    const s: BucketState = { tokens: 1, updatedAt: T0 };
    expect(() => tryTake(s, { capacity: 1, refillPerSec: 1 }, -1, T0)).toThrow(RangeError);
    expect(() => tryTake(s, { capacity: 1, refillPerSec: 1 }, Number.NaN, T0)).toThrow(RangeError);
    expect(() => refill(s, { capacity: -1, refillPerSec: 1 }, T0)).toThrow(RangeError);
    expect(() => refill(s, { capacity: 1, refillPerSec: Number.POSITIVE_INFINITY }, T0)).toThrow(RangeError);
  });
});
