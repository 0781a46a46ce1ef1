/**
 * Dynamic thresholds: a robust baseline of one metric, fed one observation per minute.
 *
 * - Level: an EWMA of the observations, updated with each observation clipped into the current band, so a
 *   single spike barely moves it while a sustained shift is absorbed over ~1/alpha minutes.
 * - Spread: 1.4826 × the median absolute deviation of the last {@link RESIDUALS_KEPT} residuals (observation
 *   minus the level it was compared with), a robust stand-in for σ; floored so a flat series does not make
 *   every wobble an alert.
 * - Seasonal: once the baseline has seen a week, each hour of the week (UTC) keeps its own level and the band
 *   is centred on the level of the current hour's slot (when that slot has {@link MIN_SLOT_SAMPLES}).
 * - Ready after {@link WARMUP_SAMPLES} observations (~30 minutes of minute samples).
 * - Sensitivity is the band's half-width in robust σ: low {@link SENSITIVITY_K}.low … high.
 */
import type { AlertMetric, Sensitivity } from './rule';

export const WARMUP_SAMPLES = 30;
export const RESIDUALS_KEPT = 240;
export const MIN_SLOT_SAMPLES = 20;
export const WEEK_MS = 7 * 24 * 3_600_000;
const HOUR_MS = 3_600_000;
const SLOTS = 168;
/** Weight of a new observation in the level (≈ 20-minute memory). */
export const LEVEL_ALPHA = 0.05;
/** Weight of a new observation in a seasonal slot's level (≈ 10 samples of that hour). */
export const SLOT_ALPHA = 0.1;

/** Band half-width in robust standard deviations. */
export const SENSITIVITY_K: Readonly<Record<Sensitivity, number>> = { low: 6, medium: 4.5, high: 3 };

/** Smallest spread used, per metric, so that a perfectly flat history does not make every wobble an anomaly. */
const SPREAD_FLOOR: Readonly<Record<AlertMetric, number>> = {
  count: 1,
  errors: 1,
  error_rate: 0.01,
  latency_p50: 1,
  latency_p95: 1,
  latency_p99: 1,
  events_per_sec: 0.02,
};

/** Whether a metric alerts when it goes down too (traffic), or only up (errors, latency). */
export function dynamicDirection(metric: AlertMetric): 'up' | 'both' {
  return metric === 'count' || metric === 'events_per_sec' ? 'both' : 'up';
}

export interface Band {
  lower: number;
  upper: number;
  center: number;
  spread: number;
  seasonal: boolean;
}

/** Serialized {@link DynamicBaseline}. */
export interface DynamicBaselineData {
  v: 1;
  metric: AlertMetric;
  n: number;
  firstAt: number | null;
  lastAt: number | null;
  level: number | null;
  residuals: number[];
  /** hour-of-week slot → [level, samples] */
  slots: [number, number][];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Hour of the week (UTC, a fixed offset from Monday 00:00 is irrelevant to the model). */
export function hourOfWeek(at: number): number {
  return ((Math.floor(at / HOUR_MS) % SLOTS) + SLOTS) % SLOTS;
}

export class DynamicBaseline {
  readonly metric: AlertMetric;
  private n = 0;
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private level: number | null = null;
  private residuals: number[] = [];
  private slots: [number, number][] = Array.from({ length: SLOTS }, () => [0, 0] as [number, number]);
  /** spread() sorts the residuals; cached until the next observation, since every evaluation asks for it */
  private cachedSpread: number | null = null;

  constructor(metric: AlertMetric) {
    this.metric = metric;
  }

  /** Observations seen. */
  get samples(): number {
    return this.n;
  }

  /** Time of the last observation (epoch ms), to feed each minute once. */
  get lastObservedAt(): number | null {
    return this.lastAt;
  }

  /** True once a week of history has been seen, so the band follows the hour of the week. */
  isSeasonal(at: number): boolean {
    if (this.firstAt === null || at - this.firstAt < WEEK_MS) return false;
    const slot = this.slots[hourOfWeek(at)];
    return slot !== undefined && slot[1] >= MIN_SLOT_SAMPLES;
  }

  /** The band for a value observed at `at`, or null while warming up. */
  band(at: number, sensitivity: Sensitivity): Band | null {
    if (this.n < WARMUP_SAMPLES || this.level === null) return null;
    const seasonal = this.isSeasonal(at);
    const center = seasonal ? (this.slots[hourOfWeek(at)] as [number, number])[0] : this.level;
    const spread = this.spread();
    const k = SENSITIVITY_K[sensitivity];
    const lower = dynamicDirection(this.metric) === 'both' ? center - k * spread : Number.NEGATIVE_INFINITY;
    return { lower, upper: center + k * spread, center, spread, seasonal };
  }

  /** Feeds one observation (normally one per minute, in time order; older ones are ignored). */
  observe(value: number, at: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(at)) return;
    if (this.lastAt !== null && at <= this.lastAt) return;
    const slotIndex = hourOfWeek(at);
    const slot = this.slots[slotIndex] as [number, number];
    if (this.level === null) {
      this.level = value;
      this.firstAt = at;
    } else {
      const center = this.isSeasonal(at) ? slot[0] : this.level;
      this.residuals.push(value - center);
      if (this.residuals.length > RESIDUALS_KEPT) this.residuals.splice(0, this.residuals.length - RESIDUALS_KEPT);
      // Clip into a wide band before updating, so one outlier moves the level by a bounded amount.
      const clipWidth = SENSITIVITY_K.low * this.spread();
      const clipped =
        this.n >= WARMUP_SAMPLES ? Math.min(center + clipWidth, Math.max(center - clipWidth, value)) : value;
      this.level += LEVEL_ALPHA * (clipped - this.level);
    }
    slot[0] = slot[1] === 0 ? value : slot[0] + SLOT_ALPHA * (value - slot[0]);
    slot[1]++;
    this.n++;
    this.lastAt = at;
    this.cachedSpread = null;
  }

  /** Robust σ estimate of the residuals, floored per metric. */
  spread(): number {
    this.cachedSpread ??= this.computeSpread();
    return this.cachedSpread;
  }

  private computeSpread(): number {
    const floor = Math.max(SPREAD_FLOOR[this.metric], 0.02 * Math.abs(this.level ?? 0));
    if (this.residuals.length < 2) return floor;
    const m = median(this.residuals);
    const mad = median(this.residuals.map((r) => Math.abs(r - m)));
    return Math.max(floor, 1.4826 * mad);
  }

  toJSON(): DynamicBaselineData {
    return {
      v: 1,
      metric: this.metric,
      n: this.n,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      level: this.level,
      residuals: [...this.residuals],
      slots: this.slots.map((s) => [s[0], s[1]] as [number, number]),
    };
  }

  /** @throws TypeError on malformed data */
  static fromJSON(data: DynamicBaselineData): DynamicBaseline {
    if (data?.v !== 1 || !Array.isArray(data.residuals) || !Array.isArray(data.slots) || data.slots.length !== SLOTS) {
      throw new TypeError('malformed dynamic baseline');
    }
    const b = new DynamicBaseline(data.metric);
    b.n = data.n;
    b.firstAt = data.firstAt;
    b.lastAt = data.lastAt;
    b.level = data.level;
    b.residuals = data.residuals.slice(-RESIDUALS_KEPT);
    b.slots = data.slots.map((s) => [Number(s[0]), Number(s[1])] as [number, number]);
    return b;
  }
}
