/**
 * The bridge between the database's sparse latency histograms (`latency_sketch`: DDSketch bucket key →
 * count, written by SQL) and core's {@link DDSketch}, through DDSketch's own mapping ({@link logMapping}). The
 * SQL key function `ps_sketch_key` (the baseline migration) computes the same `ceil(ln(v) / ln(gamma))`, so
 * merging rows is adding counts, and the quantiles read from merged rows carry DDSketch's 1 % relative-error
 * guarantee. A property test (packages/db/src/sketch-key.property.unit.test.ts) checks SQL and TypeScript
 * agree at the bucket edges.
 */
import { DDSketch, logMapping, MIN_INDEXABLE_VALUE } from './ddsketch';

/** Relative accuracy of every stored latency histogram. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
/** Bucket key the SQL writes for values ≤ 1e-9 (DDSketch's zero bucket, {@link MIN_INDEXABLE_VALUE}). */
export const SKETCH_ZERO_KEY = -1_000_000;

/** DDSketch's mapping at the stored histograms' accuracy. */
const MAPPING = logMapping(SKETCH_RELATIVE_ACCURACY);

/** Bucket key of a latency, as `ps_sketch_key` computes it in SQL. */
export function sketchKey(value: number): number {
  return value <= MIN_INDEXABLE_VALUE ? SKETCH_ZERO_KEY : MAPPING.key(value);
}

/**
 * The value DDSketch reports for bucket `key`, clamped to the observed [min, max] as DDSketch.quantile does.
 */
export function sketchKeyValue(key: number, min: number | null, max: number | null): number {
  const raw = key === SKETCH_ZERO_KEY ? 0 : MAPPING.value(key);
  const low = min ?? Number.NEGATIVE_INFINITY;
  const high = max ?? Number.POSITIVE_INFINITY;
  return Math.min(high, Math.max(low, raw));
}

/**
 * Rebuilds a DDSketch from merged bucket counts (e.g. `SELECT key, sum(count) … GROUP BY key`).
 * @param buckets pairs of bucket key and count; keys may repeat (they are added)
 * @param stats sum, min and max of the values, from the rollup columns
 */
export function sketchFromBuckets(
  buckets: Iterable<readonly [number, number]>,
  stats: { sum: number; min: number | null; max: number | null },
): DDSketch {
  const counts = new Map<number, number>();
  let zero = 0;
  let n = 0;
  for (const [key, count] of buckets) {
    if (!(count > 0)) continue;
    n += count;
    if (key === SKETCH_ZERO_KEY) zero += count;
    else counts.set(key, (counts.get(key) ?? 0) + count);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  return DDSketch.fromJSON({
    a: SKETCH_RELATIVE_ACCURACY,
    z: zero,
    n,
    s: stats.sum,
    mn: n > 0 ? (stats.min ?? 0) : null,
    mx: n > 0 ? (stats.max ?? stats.min ?? 0) : null,
    k: keys,
    c: keys.map((k) => counts.get(k) ?? 0),
  });
}
