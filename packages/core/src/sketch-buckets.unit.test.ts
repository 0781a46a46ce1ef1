import { describe, expect, it } from 'vitest';
import { DDSketch } from './ddsketch';
import { SKETCH_ZERO_KEY, sketchFromBuckets, sketchKey, sketchKeyValue } from './sketch-buckets';

describe('sketch buckets', () => {
  it('maps values like DDSketch and rebuilds the same quantiles from merged per-minute counts', () => {
    const values = Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 2500) + 0.5);
    values.push(0, 0);
    const reference = new DDSketch(0.01);
    const minutes = [new Map<number, number>(), new Map<number, number>()];
    values.forEach((v, i) => {
      reference.add(v);
      const m = minutes[i % 2] ?? new Map<number, number>();
      m.set(sketchKey(v), (m.get(sketchKey(v)) ?? 0) + 1);
    });
    const merged = minutes.flatMap((m) => [...m.entries()]);
    const rebuilt = sketchFromBuckets(merged, {
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
    });
    expect(rebuilt.toJSON()).toEqual(reference.toJSON());
    for (const q of [0.5, 0.95, 0.99]) expect(rebuilt.quantile(q)).toBe(reference.quantile(q));
  });

  it('estimates a bucket within 1 % and clamps to min/max', () => {
    for (const v of [0.01, 1, 42, 999.9, 123_456]) {
      expect(Math.abs(sketchKeyValue(sketchKey(v), null, null) - v) / v).toBeLessThanOrEqual(0.01);
    }
    expect(sketchKeyValue(sketchKey(100), 100, 100)).toBe(100);
    expect(sketchKeyValue(SKETCH_ZERO_KEY, 0, 5)).toBe(0);
  });

  it('is empty for no buckets', () => {
    expect(sketchFromBuckets([], { sum: 0, min: null, max: null }).quantile(0.5)).toBeNull();
  });
});
