// Property tests (fast-check) of the sketch merge laws: the rollups merge per-minute sketches in any grouping
// and order (SQL ps_sketch_merge, the hub's rolling windows), so merge must be commutative and associative,
// and a merged sketch must answer quantiles of the union within the relative accuracy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DDSketch, MAX_BUCKETS, mergeSketchData, type SketchData } from './ddsketch';

const ACCURACY = 0.01;
// Latencies as the pipeline sees them: zero, sub-millisecond, typical, and up to the schema's 1 h cap.
const value = fc.oneof(
  fc.constant(0),
  fc.double({ min: 1e-12, max: 1, noNaN: true }),
  fc.double({ min: 1, max: 3_600_000, noNaN: true }),
);
const values = fc.array(value, { maxLength: 200 });

function sketchOf(xs: number[]): DDSketch {
  const s = new DDSketch(ACCURACY);
  for (const x of xs) s.add(x);
  return s;
}

/** Everything merge is defined on, with the float sum compared separately (addition order changes it). */
function shape(d: SketchData) {
  return { a: d.a, z: d.z, n: d.n, mn: d.mn, mx: d.mx, k: d.k, c: d.c };
}

const QS = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

describe('DDSketch merge laws (fast-check)', () => {
  it('merge is commutative: a+b and b+a have the same buckets, counts, min and max', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const ab = sketchOf(a).merge(sketchOf(b)).toJSON();
        const ba = sketchOf(b).merge(sketchOf(a)).toJSON();
        expect(shape(ab)).toEqual(shape(ba));
        expect(ab.s).toBeCloseTo(ba.s, 6);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('merge is associative: (a+b)+c equals a+(b+c)', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        const left = sketchOf(a).merge(sketchOf(b)).merge(sketchOf(c)).toJSON();
        const right = sketchOf(a)
          .merge(sketchOf(b).merge(sketchOf(c)))
          .toJSON();
        expect(shape(left)).toEqual(shape(right));
        expect(left.s).toBeCloseTo(right.s, 6);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('merging equals adding every value to one sketch', () => {
    fc.assert(
      fc.property(fc.array(values, { minLength: 1, maxLength: 6 }), (parts) => {
        const merged = parts.reduce((acc, xs) => acc.merge(sketchOf(xs)), new DDSketch(ACCURACY));
        expect(shape(merged.toJSON())).toEqual(shape(sketchOf(parts.flat()).toJSON()));
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('a merged sketch answers every quantile of the union within the relative accuracy', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const all = [...a, ...b].sort((x, y) => x - y);
        fc.pre(all.length > 0);
        const merged = sketchOf(a).merge(sketchOf(b));
        for (const q of QS) {
          const exact = exactQuantile(all, q);
          const est = merged.quantile(q) as number;
          if (exact <= 1e-9) expect(est).toBeLessThanOrEqual(1e-9 * (1 + ACCURACY));
          else expect(Math.abs(est - exact)).toBeLessThanOrEqual(ACCURACY * exact * (1 + 1e-9));
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('the empty sketch is the identity, and serialized merge (mergeSketchData) agrees with object merge', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const sa = sketchOf(a).toJSON();
        const sb = sketchOf(b).toJSON();
        expect(shape(mergeSketchData(sa, new DDSketch(ACCURACY).toJSON()))).toEqual(shape(sa));
        expect(shape(mergeSketchData(sa, sb))).toEqual(shape(sketchOf(a).merge(sketchOf(b)).toJSON()));
        // merging does not mutate its inputs
        expect(shape(sa)).toEqual(shape(sketchOf(a).toJSON()));
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('when merges collapse (more than MAX_BUCKETS buckets), order still does not matter beyond the accuracy of the kept range', () => {
    // Values spread over ~3,000 buckets each: every merge collapses the lowest buckets.
    const wide = fc.array(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), { minLength: 500, maxLength: 1500 });
    fc.assert(
      fc.property(wide, wide, wide, (a, b, c) => {
        const left = sketchOf(a).merge(sketchOf(b)).merge(sketchOf(c));
        const right = sketchOf(c).merge(sketchOf(a).merge(sketchOf(b)));
        expect(left.bucketCount).toBeLessThanOrEqual(MAX_BUCKETS);
        expect(left.count).toBe(right.count);
        // Collapsing folds the lowest buckets together; the upper quantiles keep the guarantee either way.
        for (const q of [0.5, 0.9, 0.99, 1]) {
          const l = left.quantile(q) as number;
          const r = right.quantile(q) as number;
          expect(Math.abs(l - r)).toBeLessThanOrEqual(2 * ACCURACY * Math.max(l, r) + 1e-9);
        }
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
