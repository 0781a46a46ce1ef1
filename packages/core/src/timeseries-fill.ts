/**
 * Turns the sparse (bucket, group) cells read from the rollups into the API's series: one point per
 * interval from `from` to `to`, gaps filled, values computed per metric.
 */
import { sketchKeyValue } from './sketch-buckets';

export type SeriesMetric =
  | 'count'
  | 'errors'
  | 'error_rate'
  | 'latency_avg'
  | 'latency_p50'
  | 'latency_p95'
  | 'latency_p99';

/** The figures of one non-empty (bucket, group) cell, as the data layer reads them from the rollups. */
export interface SeriesCell {
  t: number;
  group: string;
  count: number;
  errors: number;
  latencyCount: number;
  latencySum: number;
  latencyMin: number | null;
  latencyMax: number | null;
  quantileKey: number | null;
  /** a precomputed quantile, used instead of the key when present */
  quantileValue?: number | null | undefined;
}

export interface SeriesPoint {
  /** ISO 8601 bucket start */
  t: string;
  /** 0 for an empty bucket of a count metric; null for a latency metric with no latency in the bucket */
  value: number | null;
}

export interface Series {
  group: string | null;
  points: SeriesPoint[];
}

/** Number of points a range has at an interval (what the API bounds). */
export function pointCount(fromMs: number, toMs: number, intervalMs: number): number {
  return Math.max(0, Math.ceil((toMs - fromMs) / intervalMs));
}

/** The value of one cell for `metric`. */
export function cellValue(metric: SeriesMetric, cell: SeriesCell): number | null {
  switch (metric) {
    case 'count':
      return cell.count;
    case 'errors':
      return cell.errors;
    case 'error_rate':
      return cell.count > 0 ? cell.errors / cell.count : 0;
    case 'latency_avg':
      return cell.latencyCount > 0 ? cell.latencySum / cell.latencyCount : null;
    default:
      if (cell.quantileValue !== undefined && cell.quantileValue !== null) return cell.quantileValue;
      return cell.quantileKey === null ? null : sketchKeyValue(cell.quantileKey, cell.latencyMin, cell.latencyMax);
  }
}

/**
 * Builds zero-filled series. Groups are ranked by their weight over the range (events, or latency samples
 * for latency metrics) and only the first `maxGroups` are returned, so a high-cardinality groupBy cannot
 * produce an unbounded response.
 * @param grouped false: a single series with `group: null`
 */
export function fillSeries(
  cells: SeriesCell[],
  options: {
    metric: SeriesMetric;
    fromMs: number;
    toMs: number;
    intervalMs: number;
    grouped: boolean;
    maxGroups: number;
  },
): Series[] {
  const { metric, fromMs, toMs, intervalMs } = options;
  const empty: number | null = metric.startsWith('latency_') ? null : 0;
  const byGroup = new Map<string, Map<number, SeriesCell>>();
  const weight = new Map<string, number>();
  for (const cell of cells) {
    let cellsOfGroup = byGroup.get(cell.group);
    if (!cellsOfGroup) {
      cellsOfGroup = new Map();
      byGroup.set(cell.group, cellsOfGroup);
    }
    cellsOfGroup.set(cell.t, cell);
    weight.set(cell.group, (weight.get(cell.group) ?? 0) + (cell.count || cell.latencyCount));
  }
  const groups = options.grouped
    ? [...byGroup.keys()]
        .sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0) || a.localeCompare(b))
        .slice(0, options.maxGroups)
    : [''];
  const n = pointCount(fromMs, toMs, intervalMs);
  return groups.map((group) => {
    const cellsOfGroup = byGroup.get(group);
    const points: SeriesPoint[] = [];
    for (let i = 0; i < n; i++) {
      const t = fromMs + i * intervalMs;
      const cell = cellsOfGroup?.get(t);
      points.push({ t: new Date(t).toISOString(), value: cell ? cellValue(metric, cell) : empty });
    }
    return { group: options.grouped ? group : null, points };
  });
}
