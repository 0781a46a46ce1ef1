/**
 * The facts an incident's explanation is built from (../anomaly/explanation.ts), computed from minute rollups
 * only: the rule metric's recent values against the baseline before them, the sources and endpoints whose
 * change accounts for most of the metric's change, and the window's embedding for the vector memory. Raw
 * events never enter: the inputs are counts, error counts and latency sums per minute and per group.
 */
import type { MetricWindow } from '../anomaly/embedding';
import type { ContributorFact, IncidentFacts, SimilarIncidentFact } from '../anomaly/explanation';
import { cellValue, type SeriesCell } from '../timeseries-fill';
import { baselineOf, type MinutePoint } from './anomaly-rule';
import type { AlertMetric } from './rule';

/** Minutes of "recent" values shown against the baseline. */
export const RECENT_MINUTES = 15;
/** Minutes of history the facts read (baseline + recent). */
export const FACTS_MINUTES = 60;

/** Display unit of a metric's values in the facts (error rates are shown in percent). */
export function factUnit(metric: AlertMetric): string {
  switch (metric) {
    case 'error_rate':
      return '%';
    case 'count':
    case 'errors':
      return 'events';
    case 'events_per_sec':
      return 'events/s';
    default:
      return 'ms';
  }
}

/** A value in the facts' unit (error rates ×100). */
export function factValue(metric: AlertMetric, value: number): number {
  return metric === 'error_rate' ? value * 100 : value;
}

/** Totals of one source or endpoint over a range of minutes. */
export interface GroupTotals {
  count: number;
  errors: number;
  latencyCount: number;
  latencySum: number;
}

/** Sums grouped rollup cells (`queryTimeseries` with groupBy) per group, split at `splitMs`. */
export function splitGroups(
  cells: readonly SeriesCell[],
  splitMs: number,
): Map<string, { before: GroupTotals; after: GroupTotals }> {
  const out = new Map<string, { before: GroupTotals; after: GroupTotals }>();
  const zero = (): GroupTotals => ({ count: 0, errors: 0, latencyCount: 0, latencySum: 0 });
  for (const c of cells) {
    let g = out.get(c.group);
    if (!g) {
      g = { before: zero(), after: zero() };
      out.set(c.group, g);
    }
    const side = c.t < splitMs ? g.before : g.after;
    side.count += c.count;
    side.errors += c.errors;
    side.latencyCount += c.latencyCount;
    side.latencySum += c.latencySum;
  }
  return out;
}

/**
 * Each group's share of the change of the metric between a baseline period and a recent period:
 * - count / events/s: change of its events per minute;
 * - errors / error rate: change of its errors per minute (an error rate rises because errors do);
 * - latency: change of its contribution to the mean latency (its latency sum over all events with one).
 * Shares are |change| / Σ|change| over the groups; only groups that moved the way the metric did count.
 * `current` and `baseline` are the group's own figure per minute (latency: its mean in ms).
 */
export function contributorsOf(input: {
  metric: AlertMetric;
  kind: ContributorFact['kind'];
  groups: ReadonlyMap<string, { before: GroupTotals; after: GroupTotals }>;
  beforeMinutes: number;
  afterMinutes: number;
}): ContributorFact[] {
  const { metric, groups } = input;
  const bm = Math.max(1, input.beforeMinutes);
  const am = Math.max(1, input.afterMinutes);
  let latBefore = 0;
  let latAfter = 0;
  for (const g of groups.values()) {
    latBefore += g.before.latencyCount;
    latAfter += g.after.latencyCount;
  }
  const rows: { name: string; change: number; current: number; baseline: number }[] = [];
  for (const [name, g] of groups) {
    let change: number;
    let current: number;
    let baseline: number;
    if (metric === 'count' || metric === 'events_per_sec') {
      current = g.after.count / am;
      baseline = g.before.count / bm;
      change = current - baseline;
    } else if (metric === 'errors' || metric === 'error_rate') {
      current = g.after.errors / am;
      baseline = g.before.errors / bm;
      change = current - baseline;
    } else {
      current = g.after.latencyCount > 0 ? g.after.latencySum / g.after.latencyCount : 0;
      baseline = g.before.latencyCount > 0 ? g.before.latencySum / g.before.latencyCount : 0;
      change =
        (latAfter > 0 ? g.after.latencySum / latAfter : 0) - (latBefore > 0 ? g.before.latencySum / latBefore : 0);
    }
    rows.push({ name, change, current, baseline });
  }
  const net = rows.reduce((a, r) => a + r.change, 0);
  const direction = net >= 0 ? 1 : -1;
  const moving = rows.filter((r) => r.change * direction > 0);
  const total = moving.reduce((a, r) => a + Math.abs(r.change), 0);
  if (total === 0) return [];
  return moving
    .map((r) => ({
      kind: input.kind,
      name: r.name,
      share: Math.abs(r.change) / total,
      current: r.current,
      baseline: r.baseline,
    }))
    .sort((a, b) => b.share - a.share || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, 5);
}

/**
 * The explanation facts of an incident from the rule's minute points (oldest first, the last being the
 * minute that fired): the last {@link RECENT_MINUTES} values against the baseline of the ones before.
 * `score` and `components` come from the detector for anomaly rules; threshold rules pass a score of 0 and
 * no components.
 */
export function incidentFactsOf(input: {
  metric: AlertMetric;
  points: readonly MinutePoint[];
  score: number;
  components: { name: string; value: number }[];
  contributors: ContributorFact[];
  similar: SimilarIncidentFact[];
}): IncidentFacts {
  const { metric, points } = input;
  const values = points.filter((p) => p.value !== null && Number.isFinite(p.value));
  const recent = values.slice(-RECENT_MINUTES);
  const before = values.slice(0, Math.max(0, values.length - RECENT_MINUTES));
  const base = baselineOf((before.length > 0 ? before : recent).map((p) => factValue(metric, p.value as number)));
  const first = points[0];
  const last = points[points.length - 1];
  return {
    metric,
    unit: factUnit(metric),
    from: first ? first.minute * 60_000 : 0,
    to: last ? (last.minute + 1) * 60_000 : 0,
    recent: recent.map((p) => factValue(metric, p.value as number)),
    baseline: { median: base.median, p95: base.p95 },
    score: input.score,
    components: input.components.filter((c) => c.name !== 'suppressed'),
    contributors: input.contributors,
    similar: input.similar,
  };
}

/**
 * Facts from what the evaluator alone knows, for when the rollups cannot be read: the value that fired against
 * the anomaly baseline, or (threshold rules) against the threshold as the reference; no contributors, no
 * similar incidents. The template turns them into a plainer explanation than the full facts give.
 */
export function localFactsOf(input: {
  metric: AlertMetric;
  at: number;
  value: number | null;
  threshold: number | null;
  anomaly?: { score: number; components: { name: string; value: number }[]; baseline: { median: number; p95: number } };
}): IncidentFacts {
  const { metric, anomaly } = input;
  const reference = anomaly?.baseline ?? { median: input.threshold ?? 0, p95: input.threshold ?? 0 };
  const minute = Math.floor(input.at / 60_000);
  return {
    metric,
    unit: factUnit(metric),
    from: minute * 60_000,
    to: (minute + 1) * 60_000,
    recent: input.value !== null && Number.isFinite(input.value) ? [factValue(metric, input.value)] : [],
    baseline: { median: factValue(metric, reference.median), p95: factValue(metric, reference.p95) },
    score: anomaly?.score ?? 0,
    components: (anomaly?.components ?? []).filter((c) => c.name !== 'suppressed'),
    contributors: [],
    similar: [],
  };
}

/**
 * The embedding window ({@link MetricWindow}) of the minutes [fromMinute, toMinute] from tenant or filter
 * rollups: error rate and volume from count cells, p95 from p95 cells (0 where a minute has none).
 */
export function metricWindowOf(input: {
  cells: readonly SeriesCell[];
  p95Cells: readonly SeriesCell[];
  fromMinute: number;
  toMinute: number;
}): MetricWindow {
  const counts = new Map(input.cells.map((c) => [Math.floor(c.t / 60_000), c]));
  const p95 = new Map(
    input.p95Cells.map((c) => [Math.floor(c.t / 60_000), cellValue('latency_p95', c)] as [number, number | null]),
  );
  const errorRate: number[] = [];
  const p95Ms: number[] = [];
  const volume: number[] = [];
  for (let m = input.fromMinute; m <= input.toMinute; m++) {
    const c = counts.get(m);
    errorRate.push(c && c.count > 0 ? c.errors / c.count : 0);
    volume.push(c ? c.count : 0);
    p95Ms.push(p95.get(m) ?? 0);
  }
  if (errorRate.length < 2) {
    errorRate.push(errorRate[0] ?? 0);
    volume.push(volume[0] ?? 0);
    p95Ms.push(p95Ms[0] ?? 0);
  }
  return { errorRate, p95Ms, volume, endMs: (input.toMinute + 1) * 60_000 };
}
