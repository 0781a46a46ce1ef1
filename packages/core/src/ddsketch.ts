/**
 * DDSketch: a mergeable quantile sketch with relative-error guarantees
 * (Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch
 * with Relative-Error Guarantees", VLDB 2019).
 *
 * Values are mapped to logarithmic buckets: key(v) = ceil(log_gamma(v)) with
 * gamma = (1 + a) / (1 - a) (decided exactly near boundaries, see {@link logMapping}). Every value in
 * bucket k lies in (gamma^(k-1), gamma^k], and reporting 2 * gamma^k / (gamma + 1) for the bucket
 * is within relative error `a` of any value in it. Merging is adding bucket
 * counts, so per-minute sketches can be combined into any window exactly as if
 * one sketch had seen all the values.
 *
 * Only non-negative values are supported (latencies); values at or below
 * {@link MIN_INDEXABLE_VALUE} are counted in a dedicated zero bucket.
 */

/** Values at or below this are counted in the zero bucket (log() would explode). */
export const MIN_INDEXABLE_VALUE = 1e-9;

/**
 * Largest span of bucket keys kept. With a = 0.01 this covers ratios up to
 * gamma^2048 ≈ 1e17 between the largest value and the lowest distinguished one,
 * far beyond any latency range; it only exists so that hostile input cannot make
 * a sketch grow without bound. Lower keys are folded into the lowest kept key,
 * which preserves the accuracy of high quantiles (the ones alerting uses).
 */
export const MAX_BUCKETS = 2048;

/** Compact, JSON-safe form of a sketch, suitable for SQLite/JSONB columns. */
export interface SketchData {
  /** relative accuracy */
  a: number;
  /** zero-bucket count */
  z: number;
  /** total count */
  n: number;
  /** sum of added values */
  s: number;
  /** minimum value, null when empty */
  mn: number | null;
  /** maximum value, null when empty */
  mx: number | null;
  /** bucket keys, ascending */
  k: number[];
  /** bucket counts, same order as `k` */
  c: number[];
}

/**
 * Width, in units of log_gamma, of the band around each bucket boundary where the key is decided by an exact
 * comparison with the boundary instead of by rounding up ln(v) / ln(gamma). `ln` is not correctly rounded
 * (V8, glibc and PGlite's WebAssembly libm differ in the last bit), so for values within a few ulps of gamma^k
 * ceil(ln(v) / ln(gamma)) differs between TypeScript and SQL; the libm error is ~1e-11 in these units at the
 * largest doubles, far inside the band, so outside it every implementation's ceil agrees.
 */
export const EDGE_BAND = 1e-6;

/**
 * DDSketch's logarithmic bucket mapping for one relative accuracy `a`: gamma = (1 + a) / (1 - a), bucket k
 * holds the values in (edge(k - 1), edge(k)], and reports 2 * gamma^k / (gamma + 1) for them. edge(k) is
 * gamma^k computed with IEEE multiplications and one division only (square-and-multiply over
 * gamma^(2^i), ascending bits; 1 / edge(-k) below 1), which every platform rounds the same way, so the key
 * of a value is the same in TypeScript and in SQL (`ps_sketch_key` spells out the same steps with the same
 * constants). edge(k) is within ~1e-14 relative of gamma^k, so the relative-accuracy guarantee is unchanged.
 * The one definition of the mapping: {@link DDSketch} uses it, and so does the bridge to the database's
 * histograms (`sketch-buckets.ts`).
 */
export interface LogMapping {
  readonly relativeAccuracy: number;
  readonly gamma: number;
  /** Bucket key of a value above {@link MIN_INDEXABLE_VALUE}. */
  key(value: number): number;
  /** The value reported for bucket `key` (within the relative accuracy of every value in it). */
  value(key: number): number;
  /** Upper boundary of bucket `key` (inclusive): gamma^key by the exact steps above. */
  edge(key: number): number;
  /** gamma^(2^i) for i = 0, 1, …: gamma squared repeatedly (the constants `ps_sketch_key` spells out). */
  readonly squares: readonly number[];
}

/**
 * The mapping for `relativeAccuracy`.
 * @throws RangeError unless relativeAccuracy is in (0, 1).
 */
export function logMapping(relativeAccuracy: number): LogMapping {
  assertAccuracy(relativeAccuracy);
  const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
  const lnGamma = Math.log(gamma);
  const squares = [gamma];
  for (let i = 1; i < 31; i++) {
    const last = squares[i - 1] ?? gamma;
    squares.push(last * last);
  }
  const power = (m: number): number => {
    let acc = 1;
    for (let i = 0, rest = m; rest > 0; i++, rest = Math.floor(rest / 2)) {
      if (rest % 2 === 1) acc *= squares[i] ?? Number.POSITIVE_INFINITY;
    }
    return acc;
  };
  const edge = (key: number): number => (key >= 0 ? power(key) : 1 / power(-key));
  return {
    relativeAccuracy,
    gamma,
    squares,
    edge,
    key: (value) => {
      const x = Math.log(value) / lnGamma;
      const r = Math.round(x);
      // Near a boundary (and only there) the exact comparison decides; NaN falls through to ceil.
      if (Math.abs(x - r) < EDGE_BAND) return value <= edge(r) ? r : r + 1;
      return Math.ceil(x);
    },
    value: (key) => (2 * gamma ** key) / (gamma + 1),
  };
}

function assertAccuracy(relativeAccuracy: number): void {
  if (!Number.isFinite(relativeAccuracy) || relativeAccuracy <= 0 || relativeAccuracy >= 1) {
    throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
}

/** A DDSketch over non-negative values. */
export class DDSketch {
  readonly relativeAccuracy: number;
  private readonly mapping: LogMapping;
  private readonly buckets = new Map<number, number>();
  private zeroCount = 0;
  private total = 0;
  private totalSum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;
  private maxKey = Number.NEGATIVE_INFINITY;
  private minKey = Number.POSITIVE_INFINITY;

  /**
   * @param relativeAccuracy guaranteed relative error of quantiles, in (0, 1); 0.01 = 1 %.
   */
  constructor(relativeAccuracy = 0.01) {
    this.mapping = logMapping(relativeAccuracy);
    this.relativeAccuracy = relativeAccuracy;
  }

  /** Number of values added. */
  get count(): number {
    return this.total;
  }

  /** Sum of values added (exact up to floating-point rounding). */
  get sum(): number {
    return this.totalSum;
  }

  /** Smallest value added, or null when empty. */
  get min(): number | null {
    return this.total > 0 ? this.minValue : null;
  }

  /** Largest value added, or null when empty. */
  get max(): number | null {
    return this.total > 0 ? this.maxValue : null;
  }

  /** Number of non-zero buckets currently held (memory footprint indicator). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /** True when nothing has been added. */
  get isEmpty(): boolean {
    return this.total === 0;
  }

  /**
   * Adds `value` with multiplicity `count`.
   * @throws RangeError for negative or non-finite values or counts.
   */
  add(value: number, count = 1): this {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`DDSketch accepts finite non-negative values, got ${value}`);
    }
    if (!Number.isFinite(count) || count < 0) {
      throw new RangeError(`count must be finite and non-negative, got ${count}`);
    }
    if (count === 0) return this;
    if (value <= MIN_INDEXABLE_VALUE) {
      this.zeroCount += count;
    } else {
      this.addToBucket(this.keyOf(value), count);
    }
    this.total += count;
    this.totalSum += value * count;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    this.collapseIfNeeded();
    return this;
  }

  /**
   * Adds all values of `other` into this sketch.
   * @throws Error when the sketches were built with different accuracies
   *   (their buckets would not line up).
   */
  merge(other: DDSketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new Error(
        `cannot merge sketches with different accuracies (${this.relativeAccuracy} vs ${other.relativeAccuracy})`,
      );
    }
    if (other.total === 0) return this;
    for (const [key, c] of other.buckets) this.addToBucket(key, c);
    this.zeroCount += other.zeroCount;
    this.total += other.total;
    this.totalSum += other.totalSum;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    this.collapseIfNeeded();
    return this;
  }

  /**
   * Estimated q-quantile, or null when empty.
   *
   * Uses the "lower" rank definition: the value at zero-based index
   * floor(q * (n - 1)) of the sorted values. The estimate is within
   * `relativeAccuracy` of that value, and always within [min, max].
   * @throws RangeError when q is outside [0, 1].
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.total === 0) return null;
    if (q === 0) return this.minValue;
    if (q === 1) return this.maxValue;
    const rank = q * (this.total - 1);
    let estimate: number;
    if (rank < this.zeroCount) {
      estimate = 0;
    } else {
      let seen = this.zeroCount;
      estimate = this.maxValue;
      for (const key of this.sortedKeys()) {
        seen += this.buckets.get(key) ?? 0;
        if (seen > rank) {
          estimate = this.valueOf(key);
          break;
        }
      }
    }
    return Math.min(this.maxValue, Math.max(this.minValue, estimate));
  }

  /** A deep copy. */
  clone(): DDSketch {
    return DDSketch.fromJSON(this.toJSON());
  }

  /** Compact JSON-safe representation; keys ascending. */
  toJSON(): SketchData {
    const k = this.sortedKeys();
    return {
      a: this.relativeAccuracy,
      z: this.zeroCount,
      n: this.total,
      s: this.totalSum,
      mn: this.min,
      mx: this.max,
      k,
      c: k.map((key) => this.buckets.get(key) ?? 0),
    };
  }

  /**
   * Rebuilds a sketch from {@link DDSketch.toJSON} output.
   * @throws TypeError when `data` is malformed (it usually comes from storage).
   */
  static fromJSON(data: SketchData): DDSketch {
    if (typeof data !== 'object' || data === null) throw new TypeError('sketch data must be an object');
    const { a, z, n, s, mn, mx, k, c } = data;
    const nonNeg = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
    if (typeof a !== 'number' || !nonNeg(z) || !nonNeg(n) || typeof s !== 'number' || !Number.isFinite(s)) {
      throw new TypeError('sketch data has invalid a/z/n/s');
    }
    if (!Array.isArray(k) || !Array.isArray(c) || k.length !== c.length) {
      throw new TypeError('sketch data keys and counts must be arrays of equal length');
    }
    const sketch = new DDSketch(a);
    let bucketTotal = z;
    for (let i = 0; i < k.length; i++) {
      const key = k[i];
      const count = c[i];
      if (typeof key !== 'number' || !Number.isInteger(key) || !nonNeg(count)) {
        throw new TypeError(`sketch data has an invalid bucket at position ${i}`);
      }
      if (count > 0) sketch.addToBucket(key, count);
      bucketTotal += count;
    }
    // Tolerate rounding from fractional counts, but not a count that disagrees with the buckets.
    if (Math.abs(bucketTotal - n) > 1e-9 * Math.max(1, n)) {
      throw new TypeError('sketch data count does not match its buckets');
    }
    if (n > 0) {
      if (!nonNeg(mn) || !nonNeg(mx) || mn > mx) throw new TypeError('sketch data has invalid min/max');
      sketch.minValue = mn;
      sketch.maxValue = mx;
    }
    sketch.zeroCount = z;
    sketch.total = n;
    sketch.totalSum = s;
    sketch.collapseIfNeeded();
    return sketch;
  }

  private keyOf(value: number): number {
    return this.mapping.key(value);
  }

  private valueOf(key: number): number {
    return this.mapping.value(key);
  }

  private addToBucket(key: number, count: number): void {
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + count);
    if (key > this.maxKey) this.maxKey = key;
    if (key < this.minKey) this.minKey = key;
  }

  private sortedKeys(): number[] {
    return [...this.buckets.keys()].sort((x, y) => x - y);
  }

  /**
   * Folds keys below maxKey - MAX_BUCKETS + 1 into that floor. The floor depends
   * only on the largest key ever seen, so the result does not depend on the
   * order of adds and merges (merge of parts == sketch of the whole).
   */
  private collapseIfNeeded(): void {
    const floor = this.maxKey - MAX_BUCKETS + 1;
    if (this.minKey >= floor) return;
    let folded = 0;
    for (const [key, count] of this.buckets) {
      if (key < floor) {
        folded += count;
        this.buckets.delete(key);
      }
    }
    this.buckets.set(floor, (this.buckets.get(floor) ?? 0) + folded);
    this.minKey = floor;
  }
}

/**
 * Merges two serialized sketches without mutating either.
 * @throws Error when their accuracies differ.
 */
export function mergeSketchData(a: SketchData, b: SketchData): SketchData {
  return DDSketch.fromJSON(a).merge(DDSketch.fromJSON(b)).toJSON();
}
