import { describe, expect, it } from 'vitest';
import type { SketchData } from './ddsketch';
import { DDSketch, MAX_BUCKETS, mergeSketchData } from './ddsketch';

/** Deterministic PRNG (mulberry32) so failures are reproducible. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  // Box-Muller; 1 - u avoids log(0).
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Exact quantile with the same "lower" definition as DDSketch.quantile: sorted[floor(q*(n-1))]. */
function exactQuantile(sorted: number[], q: number): number {
  const v = sorted[Math.floor(q * (sorted.length - 1))];
  if (v === undefined) throw new Error('empty');
  return v;
}

const N = 100_000;
const distributions: Record<string, (rand: () => number) => number> = {
  uniform: (rand) => 1 + rand() * 999,
  lognormal: (rand) => Math.exp(4 + 1.2 * normal(rand)),
  bimodal: (rand) => (rand() < 0.7 ? Math.max(0.5, 40 + 5 * normal(rand)) : Math.max(0.5, 900 + 150 * normal(rand))),
  'heavy tail with zeros': (rand) => (rand() < 0.05 ? 0 : 1 / (1 - rand()) ** 2),
};

describe('DDSketch accuracy', () => {
  for (const [name, gen] of Object.entries(distributions)) {
    it(`keeps p50/p95/p99 within 1% of exact for ${name} (100k values)`, () => {
      const rand = rng(name.length * 7919);
      const values: number[] = [];
      const sketch = new DDSketch();
      for (let i = 0; i < N; i++) {
        const v = gen(rand);
        values.push(v);
        sketch.add(v);
      }
      values.sort((x, y) => x - y);
      for (const q of [0.5, 0.95, 0.99, 0.999]) {
        const exact = exactQuantile(values, q);
        const est = sketch.quantile(q);
        expect(est).not.toBeNull();
        if (exact === 0) {
          expect(est).toBe(0);
        } else {
          expect(Math.abs((est ?? Number.NaN) - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-12);
        }
      }
      expect(sketch.count).toBe(N);
      expect(sketch.min).toBe(values[0]);
      expect(sketch.max).toBe(values[N - 1]);
      expect(sketch.quantile(0)).toBe(values[0]);
      expect(sketch.quantile(1)).toBe(values[N - 1]);
      const exactSum = values.reduce((acc, v) => acc + v, 0);
      expect(sketch.sum).toBeCloseTo(exactSum, 3);
    });
  }

  it('honours a coarser accuracy and is actually coarser', () => {
    const rand = rng(42);
    const fine = new DDSketch(0.01);
    const coarse = new DDSketch(0.05);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.exp(3 + normal(rand));
      values.push(v);
      fine.add(v);
      coarse.add(v);
    }
    values.sort((x, y) => x - y);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs((coarse.quantile(q) ?? 0) - exact) / exact).toBeLessThanOrEqual(0.05 + 1e-12);
    }
    expect(coarse.bucketCount).toBeLessThan(fine.bucketCount / 3);
  });

  it('uses the lower rank definition on a tiny exact example', () => {
    const s = new DDSketch();
    for (const v of [10, 20, 30, 40]) s.add(v);
    // rank = 0.5 * 3 = 1.5 → index 1 → 20 (a "nearest/upper" definition would give 30)
    expect(Math.abs((s.quantile(0.5) ?? 0) - 20) / 20).toBeLessThanOrEqual(0.01);
    // rank = 0.99 * 3 = 2.97 → index 2 → 30
    expect(Math.abs((s.quantile(0.99) ?? 0) - 30) / 30).toBeLessThanOrEqual(0.01);
  });
});

describe('DDSketch basics', () => {
  it('returns null quantiles and null min/max when empty', () => {
    const s = new DDSketch();
    expect(s.quantile(0.5)).toBeNull();
    expect(s.min).toBeNull();
    expect(s.max).toBeNull();
    expect(s.count).toBe(0);
    expect(s.sum).toBe(0);
    expect(s.isEmpty).toBe(true);
  });

  it('counts zero and tiny values in the zero bucket', () => {
    const s = new DDSketch();
    s.add(0);
    s.add(1e-12);
    s.add(0, 3);
    s.add(100);
    expect(s.count).toBe(6);
    expect(s.quantile(0.5)).toBe(0);
    expect(s.quantile(0.8)).toBe(0);
    expect(s.quantile(1)).toBe(100);
    expect(s.toJSON().z).toBe(5);
    expect(s.bucketCount).toBe(1);
  });

  it('supports weighted adds like repeated adds', () => {
    const a = new DDSketch();
    const b = new DDSketch();
    a.add(12.5, 4);
    for (let i = 0; i < 4; i++) b.add(12.5);
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.sum).toBe(50);
  });

  it('rejects invalid input', () => {
    const s = new DDSketch();
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(Number.NaN)).toThrow(RangeError);
    expect(() => s.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => s.add(1, -1)).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => s.quantile(Number.NaN)).toThrow(RangeError);
    expect(() => new DDSketch(0)).toThrow(RangeError);
    expect(() => new DDSketch(1)).toThrow(RangeError);
    expect(s.count).toBe(0);
  });

  it('keeps estimates within [min, max]', () => {
    const s = new DDSketch();
    s.add(100.3);
    expect(s.quantile(0.5)).toBe(100.3);
  });
});

describe('DDSketch merge and serialization', () => {
  const build = (values: number[]): DDSketch => {
    const s = new DDSketch();
    for (const v of values) s.add(v);
    return s;
  };

  it('merging two halves equals the sketch of the whole', () => {
    const rand = rng(7);
    const values = Array.from({ length: 50_000 }, () => Math.exp(2 + 1.5 * normal(rand)));
    values.push(0, 0);
    const whole = build(values);
    const left = build(values.slice(0, 20_001));
    const right = build(values.slice(20_001));
    const merged = left.merge(right);
    const w = whole.toJSON();
    const m = merged.toJSON();
    expect(m.k).toEqual(w.k);
    expect(m.c).toEqual(w.c);
    expect(m.z).toBe(w.z);
    expect(m.n).toBe(w.n);
    expect(m.mn).toBe(w.mn);
    expect(m.mx).toBe(w.mx);
    expect(m.s).toBeCloseTo(w.s, 6);
    for (const q of [0.5, 0.95, 0.99]) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  it('merging an empty sketch is a no-op and different accuracies are refused', () => {
    const a = build([1, 2, 3]);
    const before = a.toJSON();
    a.merge(new DDSketch());
    expect(a.toJSON()).toEqual(before);
    expect(() => a.merge(new DDSketch(0.02))).toThrow(/different accuracies/);
  });

  it('round-trips through JSON text', () => {
    const rand = rng(99);
    const s = build(Array.from({ length: 5000 }, () => rand() * 300));
    s.add(0, 2);
    const text = JSON.stringify(s);
    const back = DDSketch.fromJSON(JSON.parse(text) as SketchData);
    expect(back.toJSON()).toEqual(s.toJSON());
    for (const q of [0.1, 0.5, 0.99]) expect(back.quantile(q)).toBe(s.quantile(q));
    expect(back.min).toBe(s.min);
    expect(back.max).toBe(s.max);
    expect(back.relativeAccuracy).toBe(0.01);
  });

  it('serializes an empty sketch with null min/max and restores it', () => {
    const data = new DDSketch().toJSON();
    expect(data).toEqual({ a: 0.01, z: 0, n: 0, s: 0, mn: null, mx: null, k: [], c: [] });
    expect(DDSketch.fromJSON(data).quantile(0.5)).toBeNull();
  });

  it('rejects malformed serialized data', () => {
    const good = build([1, 2, 3]).toJSON();
    expect(() => DDSketch.fromJSON({ ...good, c: [1] })).toThrow(TypeError);
    expect(() => DDSketch.fromJSON({ ...good, n: 10 })).toThrow(/does not match/);
    expect(() => DDSketch.fromJSON({ ...good, k: [0.5, 1, 2] })).toThrow(TypeError);
    expect(() => DDSketch.fromJSON({ ...good, mn: null })).toThrow(/min\/max/);
    expect(() => DDSketch.fromJSON(null as unknown as SketchData)).toThrow(TypeError);
  });

  it('mergeSketchData merges without mutating its inputs', () => {
    const a = build([1, 10, 100]).toJSON();
    const b = build([5, 50]).toJSON();
    const aCopy = structuredClone(a);
    const merged = mergeSketchData(a, b);
    expect(a).toEqual(aCopy);
    expect(merged.n).toBe(5);
    expect(merged.mn).toBe(1);
    expect(merged.mx).toBe(100);
    expect(merged.s).toBe(166);
    expect(DDSketch.fromJSON(merged).quantile(0.5)).toBeCloseTo(10, 0);
  });
});

describe('DDSketch memory bound', () => {
  it('bounds buckets for extreme ranges and stays order-independent', () => {
    const values: number[] = [];
    for (let e = -8; e <= 20; e += 0.01) values.push(10 ** e);
    const s = new DDSketch();
    for (const v of values) s.add(v);
    expect(s.bucketCount).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(s.count).toBe(values.length);
    values.sort((x, y) => x - y);
    const exact = exactQuantile(values, 0.99);
    expect(Math.abs((s.quantile(0.99) ?? 0) - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-12);

    // Same values in reverse order, interleaved across two sketches, then merged: identical buckets.
    const a = new DDSketch();
    const b = new DDSketch();
    for (let i = values.length - 1; i >= 0; i--) (i % 2 === 0 ? a : b).add(values[i] ?? 0);
    expect(b.merge(a).toJSON().k).toEqual(s.toJSON().k);
    expect(b.toJSON().c).toEqual(s.toJSON().c);
  });
});
