/**
 * The Numenta Anomaly Benchmark (NAB v1.1) scoring rules, written from the rules in NAB's documentation and
 * checked row for row against NAB's published per-file scores (scripts/bench/nab-validate.ts).
 *
 * A series is first laid out once (which rows fall in which labelled window, each row's unweighted value
 * for a detection there, the probation period); a detector's scores are then swept over every threshold,
 * so choosing the corpus-wide threshold costs one sort per detector and one pass per profile.
 */

/** Weights of one NAB cost profile. */
export interface NabCostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** NAB's three profiles (config/profiles.json). */
export const NAB_PROFILES: Readonly<Record<NabProfileName, NabCostMatrix>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

export const NAB_PROFILE_NAMES: readonly NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** Share of each series NAB leaves unscored while a detector learns. */
export const NAB_PROBATION_PERCENT = 0.15;

/**
 * NAB's scaled sigmoid: 2/(1+e^{5x}) − 1, close to +1 at the left edge of a window (x = −1), 0 at its right
 * edge, negative after it, and exactly −1 once a false alarm is more than three window widths away.
 */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Rows at the start of a series of `rows` rows whose detections are not scored. */
export function probationLength(rows: number, probationPercent = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** One labelled series: row timestamps (any comparable number, e.g. epoch ms) and its windows' limits. */
export interface LabelledSeries {
  name: string;
  timestamps: readonly number[];
  /** [start, end] timestamps of each anomaly window, both present in `timestamps`, in time order. */
  windows: readonly (readonly [number, number])[];
}

/** Where each row of a series stands for scoring, independent of any detector or profile. */
export interface SeriesLayout {
  name: string;
  rows: number;
  probation: number;
  /** Index of the window the row is in, or −1 outside every window. */
  rowWindow: Int32Array;
  /**
   * Unweighted value of a detection at the row: inside a window σ(p)/σ(−1) (multiplied by A_TP), outside it
   * σ(q) after a window or −1 before any window (multiplied by A_FP).
   */
  unweighted: Float64Array;
  /** Number of labelled windows (all of them, as NAB counts them for the perfect score). */
  windowCount: number;
  /** Windows with at least one row after probation: the only ones a detector can hit or miss. */
  scorableWindows: number;
}

const MAX_TP = scaledSigmoid(-1);

/**
 * Lays out one series. Windows are entered at the row whose timestamp equals the window's start and left
 * after the row equal to its end; a window's width is counted in rows.
 */
export function layoutSeries(series: LabelledSeries, probationPercent = NAB_PROBATION_PERCENT): SeriesLayout {
  const { timestamps, windows } = series;
  const rows = timestamps.length;
  const probation = probationLength(rows, probationPercent);
  const rowWindow = new Int32Array(rows).fill(-1);
  const unweighted = new Float64Array(rows);
  const firstIndex = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    const t = timestamps[i] as number;
    if (!firstIndex.has(t)) firstIndex.set(t, i);
  }
  for (const [start, end] of windows) {
    if (!firstIndex.has(start) || !firstIndex.has(end)) {
      throw new Error(`${series.name}: window [${start}, ${end}] does not match row timestamps`);
    }
  }
  let next = 0;
  let current = -1;
  let rightIndex = 0;
  let width = 0;
  let prevRight = -1;
  let prevWidth = 0;
  const scorable = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const t = timestamps[i] as number;
    const upcoming = windows[next];
    if (current < 0 && upcoming && t === upcoming[0]) {
      current = next;
      next++;
      rightIndex = firstIndex.get(upcoming[1]) as number;
      width = rightIndex - (firstIndex.get(upcoming[0]) as number) + 1;
    }
    if (current >= 0) {
      rowWindow[i] = current;
      unweighted[i] = scaledSigmoid(-(rightIndex - i + 1) / width) / MAX_TP;
      if (i >= probation) scorable.add(current);
      if (t === (windows[current] as readonly [number, number])[1]) {
        prevRight = i;
        prevWidth = width;
        current = -1;
      }
    } else {
      unweighted[i] = prevRight < 0 ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    }
  }
  return {
    name: series.name,
    rows,
    probation,
    rowWindow,
    unweighted,
    windowCount: windows.length,
    scorableWindows: scorable.size,
  };
}

/** Corpus (or file) score at one threshold, with NAB's row counts. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

interface ScoredRow {
  score: number;
  /** Global window id, or −1 outside windows. */
  window: number;
  unweighted: number;
}

function scorableRows(layouts: readonly SeriesLayout[], scores: readonly ArrayLike<number>[]) {
  if (layouts.length !== scores.length) throw new Error('one score series per layout');
  const rows: ScoredRow[] = [];
  let windowBase = 0;
  const scorableWindowIds: number[] = [];
  layouts.forEach((layout, f) => {
    const s = scores[f] as ArrayLike<number>;
    if (s.length !== layout.rows) throw new Error(`${layout.name}: ${s.length} scores for ${layout.rows} rows`);
    const seen = new Set<number>();
    for (let i = Math.ceil(layout.probation); i < layout.rows; i++) {
      const w = layout.rowWindow[i] as number;
      const window = w < 0 ? -1 : windowBase + w;
      if (window >= 0 && !seen.has(window)) {
        seen.add(window);
        scorableWindowIds.push(window);
      }
      rows.push({ score: s[i] as number, window, unweighted: layout.unweighted[i] as number });
    }
    windowBase += layout.windowCount;
  });
  rows.sort((a, b) => b.score - a.score);
  return { rows, windowTotal: windowBase, scorableWindowIds };
}

/**
 * Every threshold worth trying and the score it gives, highest threshold first: the first entry (threshold
 * 1.1) is the detector that never fires; each further entry is one distinct anomaly score, counting every
 * row whose score is at least that value as a detection. In each window only the best (earliest) detection
 * counts; a window without one costs A_FN; each detection outside windows adds A_FP times its value.
 */
export function sweepThresholds(
  layouts: readonly SeriesLayout[],
  scores: readonly ArrayLike<number>[],
  profile: NabCostMatrix,
): ThresholdScore[] {
  const { rows, windowTotal, scorableWindowIds } = scorableRows(layouts, scores);
  const best = new Float64Array(windowTotal);
  for (const id of scorableWindowIds) best[id] = -profile.fnWeight;
  let windowSum = -profile.fnWeight * scorableWindowIds.length;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const r of rows) if (r.window >= 0) fn++;
  let tn = rows.length - fn;
  const out: ThresholdScore[] = [];
  let threshold = 1.1;
  for (const r of rows) {
    if (r.score !== threshold) {
      out.push({ threshold, score: windowSum + fpSum, tp, tn, fp, fn });
      threshold = r.score;
    }
    if (r.window >= 0) {
      tp++;
      fn--;
      const value = r.unweighted * profile.tpWeight;
      const prior = best[r.window] as number;
      if (value > prior) {
        windowSum += value - prior;
        best[r.window] = value;
      }
    } else {
      fp++;
      tn--;
      fpSum += r.unweighted * profile.fpWeight;
    }
  }
  out.push({ threshold, score: windowSum + fpSum, tp, tn, fp, fn });
  return out;
}

/** The threshold with the highest corpus score (the highest such threshold on ties, as NAB's stable sort). */
export function optimiseThreshold(
  layouts: readonly SeriesLayout[],
  scores: readonly ArrayLike<number>[],
  profile: NabCostMatrix,
): ThresholdScore {
  const sweep = sweepThresholds(layouts, scores, profile);
  let best = sweep[0] as ThresholdScore;
  for (const s of sweep) if (s.score > best.score) best = s;
  return best;
}

/** Score of one series when every row scoring at least `threshold` is a detection. */
export function scoreAtThreshold(
  layout: SeriesLayout,
  scores: ArrayLike<number>,
  threshold: number,
  profile: NabCostMatrix,
): ThresholdScore {
  const binary = new Float64Array(layout.rows);
  for (let i = 0; i < layout.rows; i++) binary[i] = (scores[i] as number) >= threshold ? 1 : 0;
  const sweep = sweepThresholds([layout], [binary], profile);
  const fired = sweep.find((s) => s.threshold === 1);
  return { ...(fired ?? (sweep[0] as ThresholdScore)), threshold };
}

/** A detector's result on a corpus for one profile. */
export interface ProfileResult {
  threshold: number;
  /** Raw corpus score at the chosen threshold. */
  score: number;
  /** Score of a detector that never fires: −A_FN per scorable window. */
  nullScore: number;
  /** Score of a detector that fires at the start of every window: A_TP per labelled window. */
  perfectScore: number;
  /** 100·(score − null)/(perfect − null). */
  normalised: number;
  perFile: { name: string; score: ThresholdScore }[];
}

/**
 * Scores a detector on a corpus as NAB does: per profile, the threshold that maximises the corpus score,
 * normalised so that the null detector gets 0 and the perfect one 100.
 */
export function scoreCorpus(
  layouts: readonly SeriesLayout[],
  scores: readonly ArrayLike<number>[],
  profiles: Readonly<Record<string, NabCostMatrix>> = NAB_PROFILES,
): Map<string, ProfileResult> {
  const out = new Map<string, ProfileResult>();
  const windowCount = layouts.reduce((n, l) => n + l.windowCount, 0);
  const scorable = layouts.reduce((n, l) => n + l.scorableWindows, 0);
  for (const [name, profile] of Object.entries(profiles)) {
    const best = optimiseThreshold(layouts, scores, profile);
    const nullScore = -profile.fnWeight * scorable;
    const perfectScore = profile.tpWeight * windowCount;
    out.set(name, {
      threshold: best.threshold,
      score: best.score,
      nullScore,
      perfectScore,
      normalised: (100 * (best.score - nullScore)) / (perfectScore - nullScore),
      perFile: layouts.map((l, i) => ({
        name: l.name,
        score: scoreAtThreshold(l, scores[i] as ArrayLike<number>, best.threshold, profile),
      })),
    });
  }
  return out;
}
