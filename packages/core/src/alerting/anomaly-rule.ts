/**
 * Anomaly rules (`{anomaly:{sensitivity}}`): the streaming detector (../anomaly/detector.ts) scores a rule's
 * metric once per completed minute, and a breach needs both a rare score and a change that matters.
 *
 * Why both: the detector answers "how rare is this point for this series" (conformal p-values), which on a
 * young or quiet series (a tenant's first hour, 20 events a minute) is often "quite rare" for changes nobody
 * would page on (2 errors instead of 0). So a breach also needs the value to leave the recent baseline (median
 * of the last {@link ANOMALY_RECENT_MINUTES} minutes) by at least `minSigmas` robust deviations, a relative
 * change and an absolute floor per metric, all set by the sensitivity. Error, error-rate and latency rules
 * fire only upwards (fewer errors is not an incident); count and events/s fire both ways (traffic dropping
 * is). Recovery: the value is back within half of the firing margin (or the score is low again, as when
 * the detector has learnt a new level), so one incident is not closed by one quieter minute.
 *
 * Warm-up: the product detector scores from its {@link ANOMALY_DETECTOR_OPTIONS}.warmup-th minute (20), and
 * its history is bootstrapped from the tenant's stored minute rollups when the rule is first loaded, so a
 * rule created on a tenant with 20 minutes of traffic is live at once; a tenant's first hour is covered.
 * NAB's detector warms up on 150 points because its series have thousands; a minute series at 150 would
 * mean 2.5 hours of silence. 20 minutes is the shortest history on which a median and MAD over the recent
 * minutes are stable enough for the gates above (simulated steady traffic: see anomaly-rule.unit.test.ts).
 */
import { type AnomalyScore, type DetectorOptions, type DetectorState, StreamingDetector } from '../anomaly/detector';
import type { SeriesCell } from '../timeseries-fill';
import { cellValue } from '../timeseries-fill';
import type { Observation } from './evaluate';
import type { AlertMetric, Sensitivity } from './rule';

/**
 * Detector options for minute series, overriding the NAB defaults: a day of history and calibration (1440
 * minutes) bounds the state (a few tens of kB of JSON per rule); a 20-minute warm-up (see the module
 * comment); stats refreshed every minute (cheap at one point a minute); and no quiet period, because the
 * alert state machine already turns a run of anomalous minutes into one incident.
 */
export const ANOMALY_DETECTOR_OPTIONS: Readonly<Partial<DetectorOptions>> = {
  historySize: 1440,
  calibrationSize: 1440,
  patternMemory: 720,
  warmup: 20,
  settle: 5,
  statsEvery: 1,
  shiftBaseline: 30,
  quietPeriod: 0,
};

/** Minutes of values kept for the baseline (median, spread) and for explanations. */
export const ANOMALY_RECENT_MINUTES = 60;
/** Values needed in the baseline before anything can breach. */
export const ANOMALY_MIN_BASELINE = 10;

export interface SensitivityGates {
  /** Detector score at or above which a minute is rare enough. */
  minScore: number;
  /** Deviation from the baseline median, in robust standard deviations. */
  minSigmas: number;
  /** Deviation relative to the baseline median. */
  minRelative: number;
  /** Deviation of an error rate, absolute (0.12 = 12 percentage points). */
  minErrorRate: number;
}

/** Sensitivity → gates. Low pages on gross changes only; high catches smaller ones and accepts more noise. */
export const ANOMALY_SENSITIVITY: Readonly<Record<Sensitivity, SensitivityGates>> = {
  low: { minScore: 0.7, minSigmas: 6, minRelative: 0.5, minErrorRate: 0.2 },
  medium: { minScore: 0.5, minSigmas: 4.5, minRelative: 0.3, minErrorRate: 0.12 },
  high: { minScore: 0.35, minSigmas: 3.5, minRelative: 0.2, minErrorRate: 0.06 },
};

/** Smallest deviation that can breach, per metric (error_rate: see {@link SensitivityGates.minErrorRate}). */
const ABSOLUTE_FLOOR: Readonly<Record<Exclude<AlertMetric, 'error_rate'>, number>> = {
  count: 5,
  errors: 3,
  events_per_sec: 0.1,
  latency_p50: 20,
  latency_p95: 20,
  latency_p99: 20,
};

/** Metrics where only an increase is an incident. */
export function upwardOnly(metric: AlertMetric): boolean {
  return metric !== 'count' && metric !== 'events_per_sec';
}

export interface Baseline {
  median: number;
  p95: number;
  /** max(1.4826·MAD, standard deviation): the MAD alone is 0 on a series that is mostly one value */
  spread: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Median, p95 and spread of a list of values (all 0 when empty). */
export function baselineOf(values: readonly number[]): Baseline {
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length));
  return { median, p95: quantile(sorted, 0.95), spread: Math.max(1.4826 * quantile(deviations, 0.5), sd) };
}

/** The deviation a value must reach to breach (always > 0). */
export function requiredDeviation(metric: AlertMetric, baseline: Baseline, sensitivity: Sensitivity): number {
  const g = ANOMALY_SENSITIVITY[sensitivity];
  const floor = metric === 'error_rate' ? g.minErrorRate : ABSOLUTE_FLOOR[metric];
  return Math.max(floor, g.minSigmas * baseline.spread, g.minRelative * Math.abs(baseline.median));
}

/** One scored minute of an anomaly rule. */
export interface AnomalyVerdict {
  /** End of the minute (epoch ms). */
  at: number;
  value: number | null;
  score: number;
  components: AnomalyScore['components'];
  baseline: Baseline;
  observation: Observation;
}

/**
 * Fire/resolve decision of one scored minute (see the module comment). `threshold` in the observation is the
 * bound the value had to cross (median ± required deviation), so notifications read like a threshold rule's.
 */
export function decideAnomaly(input: {
  metric: AlertMetric;
  sensitivity: Sensitivity;
  value: number | null;
  score: number;
  baseline: Baseline;
  baselineSize: number;
}): Observation {
  const { metric, value, baseline } = input;
  const need = requiredDeviation(metric, baseline, input.sensitivity);
  const upper = baseline.median + need;
  if (value === null || input.baselineSize < ANOMALY_MIN_BASELINE) {
    return { breaching: false, recovered: true, value, threshold: input.baselineSize > 0 ? upper : null };
  }
  const deviation = value - baseline.median;
  const bad = upwardOnly(metric) ? Math.max(0, deviation) : Math.abs(deviation);
  const gates = ANOMALY_SENSITIVITY[input.sensitivity];
  const breaching = input.score >= gates.minScore && bad >= need;
  const recovered = bad < need / 2 || input.score < gates.minScore / 2;
  return {
    breaching,
    recovered: !breaching && recovered,
    value,
    threshold: deviation < 0 ? baseline.median - need : upper,
  };
}

/** What an anomaly rule remembers between minutes, as JSON (bounded by the detector options). */
export interface AnomalyRuleData {
  v: 1;
  detector: DetectorState;
  /** The last {@link ANOMALY_RECENT_MINUTES} finite values, oldest first. */
  recent: number[];
  /** The last minute scored (epoch minutes), or null before any. */
  lastMinute: number | null;
  /** Whether the series has had a measurable value yet (leading empty minutes are not history). */
  started: boolean;
}

/** The detector, baseline and bookkeeping of one anomaly rule. */
export class AnomalyTracker {
  private constructor(
    private readonly detector: StreamingDetector,
    private readonly recentValues: number[],
    private last: number | null,
    private started: boolean,
  ) {}

  /** A new tracker; `options` override {@link ANOMALY_DETECTOR_OPTIONS} (benchmarks compare variants with it). */
  static create(options: Partial<DetectorOptions> = {}): AnomalyTracker {
    return new AnomalyTracker(new StreamingDetector({ ...ANOMALY_DETECTOR_OPTIONS, ...options }), [], null, false);
  }

  /** Restores a saved tracker; throws on a state it cannot read (the caller starts afresh). */
  static fromJSON(data: AnomalyRuleData): AnomalyTracker {
    if (data.v !== 1 || !Array.isArray(data.recent)) throw new RangeError('unknown anomaly rule state');
    return new AnomalyTracker(
      StreamingDetector.fromJSON(data.detector),
      data.recent.filter(Number.isFinite).slice(-ANOMALY_RECENT_MINUTES),
      data.lastMinute,
      data.started,
    );
  }

  /** The last minute scored (epoch minutes). */
  get lastMinute(): number | null {
    return this.last;
  }

  /** The recent values, oldest first (a copy). */
  get recent(): number[] {
    return [...this.recentValues];
  }

  /**
   * Scores the completed minute `minute` (epoch minutes) with the rule metric's value over its window, or
   * null when the window has nothing to measure (no events for a rate, no latencies for a percentile).
   * `hadEvents` says whether the window held any event: leading minutes with none are skipped, so a new
   * tenant's silence before its first event does not become "zero is normal". Minutes at or before the last
   * scored one are ignored (returns null).
   */
  observe(
    minute: number,
    value: number | null,
    hadEvents: boolean,
    rule: { metric: AlertMetric; sensitivity: Sensitivity },
  ): AnomalyVerdict | null {
    if (this.last !== null && minute <= this.last) return null;
    this.last = minute;
    const at = (minute + 1) * 60_000 - 1;
    if (!this.started && !hadEvents) return null;
    this.started = true;
    const baseline = baselineOf(this.recentValues);
    const scored = this.detector.step(at, value ?? Number.NaN);
    const observation = decideAnomaly({
      metric: rule.metric,
      sensitivity: rule.sensitivity,
      value,
      score: scored.score,
      baseline,
      baselineSize: this.recentValues.length,
    });
    if (value !== null && Number.isFinite(value)) {
      this.recentValues.push(value);
      if (this.recentValues.length > ANOMALY_RECENT_MINUTES) this.recentValues.shift();
    }
    return { at, value, score: scored.score, components: scored.components, baseline, observation };
  }

  toJSON(): AnomalyRuleData {
    return {
      v: 1,
      detector: this.detector.toJSON(),
      recent: [...this.recentValues],
      lastMinute: this.last,
      started: this.started,
    };
  }
}

/** One minute of a rule's series, as fed to {@link AnomalyTracker.observe}. */
export interface MinutePoint {
  minute: number;
  value: number | null;
  hadEvents: boolean;
}

/**
 * Turns minute rollup cells (one per minute, `t` = the minute's start, as `queryTimeseries` returns with
 * interval 1m and no grouping) into the rule metric's value over a window of `windowMinutes` ending at each
 * minute of [fromMinute, toMinute]. Counts and rates are summed from the minutes exactly; a percentile over a
 * window longer than a minute is the mean of the minutes' percentiles (an approximation, as for dynamic
 * rules' warm-up). `latencyCells` carry the percentile of latency rules (queried with that metric).
 */
export function rollupMinutePoints(input: {
  metric: AlertMetric;
  windowMinutes: number;
  cells: readonly SeriesCell[];
  latencyCells?: readonly SeriesCell[];
  fromMinute: number;
  toMinute: number;
}): MinutePoint[] {
  const byMinute = new Map(input.cells.map((c) => [Math.floor(c.t / 60_000), c]));
  const latencyByMinute = new Map((input.latencyCells ?? []).map((c) => [Math.floor(c.t / 60_000), c]));
  const latencyMetric = input.metric.startsWith('latency')
    ? (input.metric as 'latency_p50' | 'latency_p95' | 'latency_p99')
    : null;
  const span = Math.max(1, input.windowMinutes);
  const out: MinutePoint[] = [];
  for (let m = input.fromMinute; m <= input.toMinute; m++) {
    let count = 0;
    let errors = 0;
    let latencySum = 0;
    let latencyN = 0;
    for (let k = m - span + 1; k <= m; k++) {
      const c = byMinute.get(k);
      if (c) {
        count += c.count;
        errors += c.errors;
      }
      if (latencyMetric) {
        const l = latencyByMinute.get(k);
        const q = l ? cellValue(latencyMetric, l) : null;
        if (q !== null) {
          latencySum += q;
          latencyN++;
        }
      }
    }
    let value: number | null;
    switch (input.metric) {
      case 'count':
        value = count;
        break;
      case 'errors':
        value = errors;
        break;
      case 'error_rate':
        value = count > 0 ? errors / count : null;
        break;
      case 'events_per_sec':
        value = count / (span * 60);
        break;
      default:
        value = latencyN > 0 ? latencySum / latencyN : null;
    }
    out.push({ minute: m, value, hadEvents: count > 0 });
  }
  return out;
}
