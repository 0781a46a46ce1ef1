/**
 * A streaming anomaly detector for one numeric series: causal (the score of a point uses that point and the
 * points before it only), one pass, with memory bounded by its options, and one configuration for every
 * series. Each score is in [0, 1] and carries the components that produced it.
 *
 * Four raw measures of surprise are computed for each point:
 * - `value`: distance of the value from the recent median, in robust standard deviations;
 * - `pattern`: distance from the current short window of values to the nearest stored past window, in
 *   units of the recent range (a shape never seen before, even within the usual range);
 * - `shift`: how far the mean of the last few points has moved from the mean of the points before them;
 * - `season`: once a season is found in the history (autocorrelation), how far the last few points are from
 *   the same points one season earlier, in robust standard deviations of such seasonal differences.
 * Each raw measure is calibrated against its own recent history (the share of past measures at least as
 * large, a conformal p-value, extrapolated for new records), so that a score means "this rare for this
 * series" whatever the series' scale or noise. The same four measures are also taken on a coarse copy of the
 * series (the means of blocks of `coarseBlock` points, by a nested detector), so that an anomaly spread over
 * hours (a holiday in a day's traffic) is seen as clearly as a spike. The score is −log10 of the smallest
 * p-value (corrected for the number of measures) over `scoreDecades`, so 1 means one in 10^scoreDecades. After an alarm, scores are
 * damped (by default zeroed) for a while so that one anomaly raises one alarm rather than a train of them.
 * See docs/anomaly.md.
 */

/** Options; every field has a default, and the defaults are the configuration benchmarked on NAB. */
export interface DetectorOptions {
  /** Values kept for the median, MAD and range. */
  historySize: number;
  /** Recompute the history's statistics every this many points. */
  statsEvery: number;
  /** Past raw measures kept per component for calibration. */
  calibrationSize: number;
  /** No score above 0 until this many points have been seen. */
  warmup: number;
  /** Measures of the first this many points are not used for calibration. */
  settle: number;
  /** Points in the window compared with past windows. */
  patternLength: number;
  /** Past windows kept for the nearest-neighbour search. */
  patternMemory: number;
  /** Points averaged for the level-shift term, compared with the `shiftBaseline` points before them. */
  shiftLength: number;
  shiftBaseline: number;
  /** Points of the window compared with the same window one season earlier (0: no seasonal measure). */
  seasonLength: number;
  /** Re-estimate the season (autocorrelation of the history) every this many points. */
  seasonEvery: number;
  /** Quantile of each measure's history above which its p-value comes from a fitted exponential tail. */
  tailQuantile: number;
  /** p = 10^−scoreDecades maps to score 1. */
  scoreDecades: number;
  /** A score at or above this is an alarm; it starts a quiet period. */
  alarmLevel: number;
  /**
   * For `quietPeriod` points after an alarm, scores are multiplied by `quietFactor`: one anomaly gives one
   * alarm, not a train of them.
   */
  quietPeriod: number;
  quietFactor: number;
  /**
   * Values whose `value` measure alone reached the alarm level are remembered (the last `recurrenceMemory`
   * of them, 0: off); a value within `recurrenceTolerance` × its distance from the median of one of them has
   * been seen before in the same context (a recurring spike of the same height) and its `value` measure says
   * nothing (p = 1). The same for the `shift` measure, with the mean of the last `shiftLength` points and its
   * distance from the mean of the baseline.
   */
  recurrenceMemory: number;
  recurrenceTolerance: number;
  /**
   * The `pattern` measure speaks only when the level has also moved: the value is at least
   * `patternGateValue` robust sd from the median, or the mean of the last `shiftLength` points at least
   * `patternGateShift` robust sd from the mean of the baseline before them; otherwise its p-value is 1. A new
   * shape within the usual level (a first-time wiggle of a noisy series) is not an anomaly on its own.
   * 0 and 0: off.
   */
  patternGateValue: number;
  patternGateShift: number;
  /**
   * The four measures are also taken on the means of consecutive blocks of this many points, by a nested
   * detector with the same options (its sizes count blocks); a block's measures join the point that completes
   * it. The two scales see the same anomaly, so the correction stays ×4. 0: one scale only.
   */
  coarseBlock: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Readonly<DetectorOptions> = {
  historySize: 2000,
  statsEvery: 10,
  calibrationSize: 2000,
  warmup: 150,
  settle: 50,
  patternLength: 4,
  patternMemory: 800,
  shiftLength: 6,
  shiftBaseline: 60,
  seasonLength: 4,
  seasonEvery: 500,
  tailQuantile: 0.9,
  scoreDecades: 6,
  alarmLevel: 0.5,
  quietPeriod: 100,
  quietFactor: 0,
  recurrenceMemory: 50,
  recurrenceTolerance: 0.05,
  patternGateValue: 3,
  patternGateShift: 1,
  coarseBlock: 8,
};

/** A score and the components that produced it, each in [0, 1]. */
export interface AnomalyScore {
  score: number;
  components: { name: string; value: number }[];
}

/** Everything a detector remembers, as plain JSON. */
export interface DetectorState {
  version: 5;
  options: DetectorOptions;
  seen: number;
  lastTimestampMs: number | null;
  history: number[];
  patterns: number[];
  patternStart: number;
  calibration: number[][];
  stats: HistoryStats | null;
  sincePeak: number;
  period: number;
  seasonSd: number;
  seasonMeasures: number;
  /** Values whose `value` measure reached the alarm level, oldest first. */
  excursions: number[];
  /** Recent means whose `shift` measure reached the alarm level, oldest first. */
  shiftExcursions: number[];
  /** The coarse scale's detector, and the sum and count of the block in progress (null: one scale). */
  coarse: { detector: DetectorState; sum: number; count: number } | null;
}

/** Raw measures turned into p-values for one point, and whether the detector is past its warm-up. */
interface Measured {
  p: number[];
  warm: boolean;
}

const COMPONENTS = ['value', 'pattern', 'shift', 'season'] as const;

/** A fixed-capacity ring of numbers. */
class Ring {
  readonly data: Float64Array;
  start = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity);
  }
  /** Adds x; returns the value pushed out, or undefined while not full. */
  push(x: number): number | undefined {
    if (this.size < this.capacity) {
      this.data[(this.start + this.size) % this.capacity] = x;
      this.size++;
      return undefined;
    }
    const old = this.data[this.start];
    this.data[this.start] = x;
    this.start = (this.start + 1) % this.capacity;
    return old;
  }
  /** k-th most recent (0 = newest). */
  recent(k: number): number {
    return this.data[(this.start + this.size - 1 - k + this.capacity) % this.capacity] as number;
  }
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.data[(this.start + i) % this.capacity] as number);
    return out;
  }
}

/** First index in sorted[0..n) whose value is ≥ x. */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The recent history of one raw measure, kept both in arrival order and sorted, for p-values. */
class Calibrator {
  private readonly ring: Ring;
  private readonly sorted: Float64Array;
  constructor(capacity: number) {
    this.ring = new Ring(capacity);
    this.sorted = new Float64Array(capacity);
  }
  /**
   * Share of past measures at least as large as r (with the +1 of a conformal p-value) in the bulk; beyond
   * the `tailQuantile` quantile, an exponential tail fitted to the excesses over it (peaks over threshold),
   * so that values beyond anything kept still get a p-value that falls with their distance.
   */
  pValue(r: number, tailQuantile: number): number {
    const n = this.ring.size;
    if (n === 0) return 1;
    const u = this.sorted[Math.min(n - 1, Math.floor(tailQuantile * n))] as number;
    if (r <= u) return (n - lowerBound(this.sorted, n, r) + 1) / (n + 1);
    const from = lowerBound(this.sorted, n, u);
    let excess = 0;
    for (let i = from; i < n; i++) excess += (this.sorted[i] as number) - u;
    const tail = (n - from + 1) / (n + 1);
    // A history with few distinct values (a sawtooth, counts) has no excess over its tail quantile; the
    // spread between the median and that quantile then sets the scale instead.
    const median = this.sorted[Math.floor(n / 2)] as number;
    const scale = excess > 0 ? excess / Math.max(1, n - from) : (u - median) / 10;
    if (scale <= 0) return Math.max(1e-300, tail * 1e-3);
    return Math.max(1e-300, tail * Math.exp(-(r - u) / scale));
  }
  push(r: number): void {
    const old = this.ring.push(r);
    let n = this.ring.size;
    if (old !== undefined) {
      const at = lowerBound(this.sorted, n, old);
      this.sorted.copyWithin(at, at + 1, n);
      n--;
    } else {
      n--;
    }
    const at = lowerBound(this.sorted, n, r);
    this.sorted.copyWithin(at + 1, at, n);
    this.sorted[at] = r;
  }
  toArray(): number[] {
    return this.ring.toArray();
  }
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Statistics of the value history, refreshed every `statsEvery` points. */
export interface HistoryStats {
  lo: number;
  hi: number;
  median: number;
  sd: number;
}

/** See the module comment. */
export class StreamingDetector {
  private readonly options: DetectorOptions;
  private seen = 0;
  private lastTimestampMs: number | null = null;
  private readonly history: Ring;
  /** Stored windows, `patternLength` numbers each, in a ring of `patternMemory` slots. */
  private readonly patterns: Float64Array;
  private patternCount = 0;
  private patternStart = 0;
  private readonly calibrators: Calibrator[];
  /** Points since the last alarm. */
  private sincePeak = Number.MAX_SAFE_INTEGER;
  private stats: HistoryStats | null = null;
  /** Estimated season in points (0: none found yet). */
  private period = 0;
  /** Robust sd of the seasonal differences x[t] − x[t − period], refreshed with the stats. */
  private seasonSd = 0;
  /** Seasonal measures calibrated since the season was last set. */
  private seasonMeasures = 0;
  private readonly window: Float64Array;
  /** Values whose `value` measure reached the alarm level (`recurrenceMemory` of them). */
  private readonly excursions: Ring;
  /** Recent means whose `shift` measure reached the alarm level (`recurrenceMemory` of them). */
  private readonly shiftExcursions: Ring;
  /** The coarse scale (`coarseBlock` > 0): a nested detector fed the means of blocks of points. */
  private coarse: StreamingDetector | null;
  private blockSum = 0;
  private blockCount = 0;

  constructor(options?: Partial<DetectorOptions>) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    const o = this.options;
    for (const [key, value] of Object.entries(o)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new RangeError(`detector option ${key} must be a finite number ≥ 0`);
      }
    }
    for (const key of [
      'historySize',
      'statsEvery',
      'calibrationSize',
      'patternLength',
      'patternMemory',
      'seasonEvery',
    ] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1)
        throw new RangeError(`detector option ${key} must be an integer ≥ 1`);
    }
    if (!Number.isInteger(o.shiftLength) || !Number.isInteger(o.shiftBaseline) || o.shiftLength < 1) {
      throw new RangeError('detector options shiftLength (≥ 1) and shiftBaseline must be integers');
    }
    if (!Number.isInteger(o.seasonLength)) throw new RangeError('detector option seasonLength must be an integer');
    if (o.scoreDecades <= 0) throw new RangeError('detector option scoreDecades must be > 0');
    // The history must hold the pattern window and the level-shift windows.
    this.history = new Ring(Math.max(o.historySize, o.patternLength, o.shiftLength + o.shiftBaseline));
    this.patterns = new Float64Array(o.patternMemory * o.patternLength);
    this.window = new Float64Array(o.patternLength);
    if (!Number.isInteger(o.recurrenceMemory))
      throw new RangeError('detector option recurrenceMemory must be an integer');
    this.excursions = new Ring(Math.max(1, o.recurrenceMemory));
    this.shiftExcursions = new Ring(Math.max(1, o.recurrenceMemory));
    this.calibrators = COMPONENTS.map(() => new Calibrator(o.calibrationSize));
    if (!Number.isInteger(o.coarseBlock)) throw new RangeError('detector option coarseBlock must be an integer');
    this.coarse = o.coarseBlock > 0 ? new StreamingDetector({ ...o, coarseBlock: 0 }) : null;
  }

  /**
   * Scores one point. Points are taken in arrival order (the rows of real series are not always in time
   * order); a non-finite value scores 0 and is not learnt.
   */
  step(timestampMs: number, value: number): AnomalyScore {
    const o = this.options;
    const fine = this.measure(timestampMs, value);
    const coarse = this.coarseMeasure(timestampMs, value);
    if (!fine.warm) return this.result(0, fine.p, coarse, 0);
    const pMin = Math.min(1, Math.min(...fine.p, ...coarse) * COMPONENTS.length);
    let score = Math.min(1, -Math.log10(pMin) / o.scoreDecades);
    let suppressed = 0;
    this.sincePeak++;
    if (this.sincePeak <= o.quietPeriod) {
      suppressed = score * (1 - o.quietFactor);
      score -= suppressed;
    } else if (score >= o.alarmLevel) {
      this.sincePeak = 0;
    }
    return this.result(score, fine.p, coarse, suppressed);
  }

  /**
   * Feeds the coarse scale; returns its p-values when this point completes a block and the coarse detector
   * is past its warm-up, otherwise 1s (nothing new at that scale). Non-finite values are not part of a block.
   */
  private coarseMeasure(timestampMs: number, value: number): number[] {
    const none = this.coarse ? [1, 1, 1, 1] : [];
    if (this.coarse === null || !Number.isFinite(value)) return none;
    this.blockSum += value;
    this.blockCount++;
    if (this.blockCount < this.options.coarseBlock) return none;
    const mean = this.blockSum / this.blockCount;
    this.blockSum = 0;
    this.blockCount = 0;
    const measured = this.coarse.measure(timestampMs, mean);
    return measured.warm ? measured.p : none;
  }

  /** One point's four measures as p-values, after the pattern gate and the recurrence check. */
  private measure(timestampMs: number, value: number): Measured {
    this.lastTimestampMs = timestampMs;
    if (!Number.isFinite(value)) return { p: [1, 1, 1, 1], warm: false };
    const o = this.options;
    // Statistics come from the points before this one, so a new high is measured against the old range.
    if (this.history.size > 0 && (this.stats === null || this.seen % o.statsEvery === 0)) this.refreshStats();
    this.history.push(value);
    this.seen++;
    const stats = this.stats;
    if (stats === null) return { p: [1, 1, 1, 1], warm: false };
    const span = stats.hi - stats.lo || stats.sd || Math.abs(stats.median) * 0.01 || 1;
    const sd = stats.sd || span / 6;

    if (o.seasonLength > 0 && this.seen % o.seasonEvery === 0) this.estimatePeriod();
    const deviation = Math.abs(value - stats.median);
    const raw = [deviation / sd, 0, 0, 0];

    const L = this.window.length;
    if (this.history.size >= L) {
      for (let k = 0; k < L; k++) this.window[k] = (this.history.recent(L - 1 - k) - stats.lo) / span;
      raw[1] = this.nearestDistance();
      this.storePattern();
    }

    let shiftLevel = 0;
    let shiftDeviation = 0;
    const s = o.shiftLength;
    const b = o.shiftBaseline;
    if (b > 0 && this.history.size >= s + b) {
      let recent = 0;
      for (let k = 0; k < s; k++) recent += this.history.recent(k);
      let before = 0;
      for (let k = s; k < s + b; k++) before += this.history.recent(k);
      shiftLevel = recent / s;
      shiftDeviation = Math.abs(shiftLevel - before / b);
      raw[2] = (shiftDeviation / sd) * Math.sqrt(s);
    }

    const P = this.period;
    const m = o.seasonLength;
    if (P > 0 && m > 0 && this.history.size >= P + m && this.seasonSd > 0) {
      let diff = 0;
      for (let k = 0; k < m; k++) diff += this.history.recent(k) - this.history.recent(k + P);
      raw[3] = (Math.abs(diff / m) / this.seasonSd) * Math.sqrt(m);
    }

    const p = raw.map((r, i) => (this.calibrators[i] as Calibrator).pValue(r, o.tailQuantile));
    // The seasonal measure exists only once a season is found, and says nothing until its calibration
    // covers a season (or the warm-up, if longer).
    const seasonal = P > 0 && this.seasonSd > 0;
    if (!seasonal || this.seasonMeasures < Math.max(o.warmup, P)) p[3] = 1;
    // The first measures come from a history too short for stable statistics (a few points of a slow cycle
    // look like a steep trend); kept, they would inflate the calibration tails for a long time.
    if (this.seen > o.settle) {
      raw.forEach((r, i) => {
        if (i === 3 && !seasonal) return;
        (this.calibrators[i] as Calibrator).push(r);
      });
      if (seasonal) this.seasonMeasures++;
    }
    if (this.seen <= o.warmup) return { p, warm: false };
    if (o.patternGateValue > 0 || o.patternGateShift > 0) {
      const moved = (raw[0] as number) >= o.patternGateValue || shiftDeviation / sd >= o.patternGateShift;
      if (!moved) p[1] = 1;
    }

    if (o.recurrenceMemory > 0) {
      this.recurrence(0, this.excursions, value, deviation, p);
      if (shiftDeviation > 0) this.recurrence(2, this.shiftExcursions, shiftLevel, shiftDeviation, p);
    }
    return { p, warm: true };
  }

  /**
   * Components: each measure's own score (−log10 p / scoreDecades), at the coarse scale as `coarse <measure>`
   * when there is one, and how much the quiet period took off.
   */
  private result(score: number, p: readonly number[], coarse: readonly number[], suppressed: number): AnomalyScore {
    const decades = this.options.scoreDecades;
    const own = (q: number) => Math.min(1, Math.max(0, -Math.log10(q) / decades));
    const components: AnomalyScore['components'] = COMPONENTS.map((name, i) => ({ name, value: own(p[i] as number) }));
    for (const [i, q] of coarse.entries()) components.push({ name: `coarse ${COMPONENTS[i]}`, value: own(q) });
    components.push({ name: 'suppressed', value: suppressed });
    return { score: Math.min(1, Math.max(0, score)), components };
  }

  private refreshStats(): void {
    const sorted = Float64Array.from(this.history.toArray()).sort();
    const median = quantileSorted(sorted, 0.5);
    const deviations = sorted.map((x) => Math.abs(x - median)).sort();
    this.stats = {
      lo: sorted[0] as number,
      hi: sorted[sorted.length - 1] as number,
      median,
      sd: 1.4826 * quantileSorted(deviations, 0.5),
    };
    const P = this.period;
    const h = this.history;
    if (P > 0 && h.size > P + 10) {
      const d = new Float64Array(h.size - P);
      for (let k = 0; k < d.length; k++) d[k] = Math.abs(h.recent(k) - h.recent(k + P));
      d.sort();
      this.seasonSd = 1.4826 * quantileSorted(d, 0.5) || this.stats.sd || 0;
    } else {
      this.seasonSd = 0;
    }
  }

  /**
   * The season: the lag of the highest autocorrelation of the history after its first dip below zero, if it
   * is above 0.3 and the history holds three seasons; otherwise none.
   */
  private estimatePeriod(): void {
    const x = Float64Array.from(this.history.toArray());
    const n = x.length;
    let mean = 0;
    for (const v of x) mean += v;
    mean /= n;
    let var0 = 0;
    for (let i = 0; i < n; i++) {
      x[i] = (x[i] as number) - mean;
      var0 += (x[i] as number) ** 2;
    }
    const previous = this.period;
    let period = 0;
    let dipped = false;
    let best = 0.3;
    for (let lag = 2; var0 > 0 && lag <= Math.floor(n / 3); lag++) {
      let c = 0;
      for (let i = lag; i < n; i++) c += (x[i] as number) * (x[i - lag] as number);
      const r = c / var0;
      if (!dipped) {
        if (r < 0) dipped = true;
        continue;
      }
      if (r > best) {
        best = r;
        period = lag;
      }
    }
    // A season within 5% of the current one keeps it (and its calibration); another one starts afresh.
    if (period > 0 && previous > 0 && Math.abs(period - previous) <= 0.05 * previous) return;
    this.period = period;
    this.seasonMeasures = 0;
    this.calibrators[3] = new Calibrator(this.options.calibrationSize);
  }

  /**
   * Context novelty (after CAD OSE): a level (the value, or the recent mean for `shift`) whose measure
   * (component `i`) alone is an alarm is remembered in `memory`; if one remembered before lies within
   * `recurrenceTolerance` × its deviation (from the median, or from the baseline mean), the same excursion
   * has been seen before and that measure says nothing about this one (p[i] = 1).
   */
  private recurrence(i: number, memory: Ring, level: number, deviation: number, p: number[]): void {
    const o = this.options;
    const componentScore = -Math.log10(Math.min(1, (p[i] as number) * COMPONENTS.length)) / o.scoreDecades;
    if (componentScore < o.alarmLevel) return;
    const tolerance = o.recurrenceTolerance * deviation;
    let seenBefore = false;
    for (let j = 0; j < memory.size && !seenBefore; j++) {
      seenBefore = Math.abs(memory.recent(j) - level) <= tolerance;
    }
    memory.push(level);
    if (seenBefore) p[i] = 1;
  }

  /** RMS distance from the current window to the nearest stored window (0 when none is stored yet). */
  private nearestDistance(): number {
    const L = this.window.length;
    if (this.patternCount === 0) return 0;
    let best = Number.POSITIVE_INFINITY;
    for (let s = 0; s < this.patternCount; s++) {
      const base = s * L;
      let d = 0;
      for (let k = 0; k < L && d < best; k++) {
        const diff = (this.patterns[base + k] as number) - (this.window[k] as number);
        d += diff * diff;
      }
      if (d < best) best = d;
    }
    return Math.sqrt(best / L);
  }

  private storePattern(): void {
    const L = this.window.length;
    const slots = this.patterns.length / L;
    let slot: number;
    if (this.patternCount < slots) {
      slot = this.patternCount++;
    } else {
      slot = this.patternStart;
      this.patternStart = (this.patternStart + 1) % slots;
    }
    this.patterns.set(this.window, slot * L);
  }

  /** The detector's whole state as plain JSON, to persist between calls. */
  toJSON(): DetectorState {
    return {
      version: 5,
      options: { ...this.options },
      seen: this.seen,
      lastTimestampMs: this.lastTimestampMs,
      history: this.history.toArray(),
      patterns: Array.from(this.patterns.subarray(0, this.patternCount * this.window.length)),
      patternStart: this.patternStart,
      calibration: this.calibrators.map((c) => c.toArray()),
      stats: this.stats ? { ...this.stats } : null,
      sincePeak: this.sincePeak,
      period: this.period,
      seasonSd: this.seasonSd,
      seasonMeasures: this.seasonMeasures,
      excursions: this.options.recurrenceMemory > 0 ? this.excursions.toArray() : [],
      shiftExcursions: this.options.recurrenceMemory > 0 ? this.shiftExcursions.toArray() : [],
      coarse: this.coarse ? { detector: this.coarse.toJSON(), sum: this.blockSum, count: this.blockCount } : null,
    };
  }

  /** Restores a detector saved with {@link toJSON}; it continues exactly where the saved one stopped. */
  static fromJSON(state: DetectorState): StreamingDetector {
    // Version 2 had no remembered excursions; it is read with none remembered yet, and with the recurrence
    // check off unless the saved options say otherwise (its options predate it). Versions 2 and 3 had no
    // pattern gate; they are read with it off, so a saved detector continues exactly as it would have.
    // Versions 2 to 4 had one scale; they are read with the coarse scale off, for the same reason.
    const version = (state as { version: number }).version;
    if (version !== 5 && version !== 4 && version !== 3 && version !== 2) {
      throw new RangeError(
        `unknown detector state version ${String(version)} (this detector reads versions 2 to 5; start a new detector)`,
      );
    }
    const saved = state.options as Partial<DetectorOptions>;
    const d = new StreamingDetector({
      ...(version === 2 ? { recurrenceMemory: 0, recurrenceTolerance: 0 } : {}),
      ...(version < 4 ? { patternGateValue: 0, patternGateShift: 0 } : {}),
      ...saved,
      ...(version < 5 ? { coarseBlock: 0 } : {}),
    });
    const remembered = version >= 3;
    for (const x of remembered ? state.excursions : []) d.excursions.push(x);
    for (const x of remembered ? state.shiftExcursions : []) d.shiftExcursions.push(x);
    for (const x of state.history) d.history.push(x);
    const L = d.window.length;
    if (state.patterns.length % L !== 0 || state.patterns.length > d.patterns.length) {
      throw new RangeError('detector state: patterns do not fit the options');
    }
    d.patterns.set(state.patterns);
    d.patternCount = state.patterns.length / L;
    d.patternStart = state.patternStart;
    state.calibration.forEach((values, i) => {
      for (const r of values) d.calibrators[i]?.push(r);
    });
    d.seen = state.seen;
    d.lastTimestampMs = state.lastTimestampMs;
    d.sincePeak = state.sincePeak;
    d.stats = state.stats;
    d.period = state.period;
    d.seasonSd = state.seasonSd;
    d.seasonMeasures = state.seasonMeasures;
    const coarse = version === 5 ? state.coarse : null;
    if ((coarse === null) !== (d.coarse === null))
      throw new RangeError('detector state: coarse scale does not fit the options');
    if (coarse) {
      d.coarse = StreamingDetector.fromJSON(coarse.detector);
      d.blockSum = coarse.sum;
      d.blockCount = coarse.count;
    }
    return d;
  }
}
