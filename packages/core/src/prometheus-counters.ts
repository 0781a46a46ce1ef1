/**
 * Cumulative per-series counters and latency histograms for the Prometheus exposition: what Prometheus
 * expects (it computes rates and windows itself), where the rolling windows answer "the last N minutes".
 *
 * A series is (source, endpoint, status class). The number of series per tenant is bounded: once
 * {@link MAX_SERIES} exist, an event of a new series is counted in the overflow series of its status class,
 * `source="__other__", endpoint="__other__"`, so totals stay exact and the exposition stays bounded. Series
 * are never evicted (a counter that disappeared and came back would read as a reset).
 */
import { isErrorEvent } from './rolling-windows';

/** Series kept per tenant before new ones fold into the overflow series. */
export const MAX_SERIES = 500;
export const OTHER_LABEL = '__other__';

/** Histogram upper bounds in seconds (Prometheus' defaults, extended to a minute for slow APIs). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';

export function statusClassOf(status: number | null | undefined): StatusClass {
  if (typeof status !== 'number' || status < 100 || status > 599) return 'none';
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

/** One series' cumulative state. `buckets[i]` counts observations ≤ bound i (not cumulative across i). */
export interface SeriesCounts {
  source: string;
  endpoint: string;
  statusClass: StatusClass;
  events: number;
  errors: number;
  /** Per-bucket counts, one more than the bounds (the last is +Inf only). */
  buckets: number[];
  latencySumSeconds: number;
  latencyCount: number;
}

export interface CounterEvent {
  source: string;
  endpoint: string | null;
  type: string | null;
  status: number | null;
  latencyMs: number | null;
}

function seriesKey(source: string, endpoint: string, statusClass: string): string {
  // JSON keeps the three parts apart whatever characters they hold.
  return JSON.stringify([source, endpoint, statusClass]);
}

function bucketIndex(seconds: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
    if (seconds <= (LATENCY_BUCKETS_SECONDS[i] as number)) return i;
  }
  return LATENCY_BUCKETS_SECONDS.length;
}

function emptySeries(source: string, endpoint: string, statusClass: StatusClass): SeriesCounts {
  return {
    source,
    endpoint,
    statusClass,
    events: 0,
    errors: 0,
    buckets: new Array(LATENCY_BUCKETS_SECONDS.length + 1).fill(0),
    latencySumSeconds: 0,
    latencyCount: 0,
  };
}

/** The cumulative counters of one tenant. Persist {@link SeriesCounts} rows to survive restarts. */
export class CumulativeCounters {
  private readonly series = new Map<string, SeriesCounts>();
  private overflowSeries = 0;

  constructor(
    rows: Iterable<SeriesCounts> = [],
    readonly maxSeries = MAX_SERIES,
  ) {
    for (const row of rows) {
      this.series.set(seriesKey(row.source, row.endpoint, row.statusClass), row);
      if (isOverflow(row)) this.overflowSeries++;
    }
  }

  get size(): number {
    return this.series.size;
  }

  /**
   * Counts events; returns the series they changed (to persist), each once. Overflow series do not count
   * toward the bound, so there are at most `maxSeries` + 6 series.
   */
  add(events: Iterable<CounterEvent>): SeriesCounts[] {
    const touched = new Map<string, SeriesCounts>();
    for (const e of events) {
      const statusClass = statusClassOf(e.status);
      let key = seriesKey(e.source, e.endpoint ?? '', statusClass);
      let s = this.series.get(key);
      if (!s) {
        const overflow = this.series.size - this.overflowSeries >= this.maxSeries;
        if (overflow) key = seriesKey(OTHER_LABEL, OTHER_LABEL, statusClass);
        s = this.series.get(key);
        if (!s) {
          s = overflow
            ? emptySeries(OTHER_LABEL, OTHER_LABEL, statusClass)
            : emptySeries(e.source, e.endpoint ?? '', statusClass);
          this.series.set(key, s);
          if (overflow) this.overflowSeries++;
        }
      }
      s.events++;
      if (isErrorEvent({ type: e.type ?? undefined, status: e.status })) s.errors++;
      if (typeof e.latencyMs === 'number' && Number.isFinite(e.latencyMs) && e.latencyMs >= 0) {
        const seconds = e.latencyMs / 1000;
        const i = bucketIndex(seconds);
        s.buckets[i] = (s.buckets[i] ?? 0) + 1;
        s.latencySumSeconds += seconds;
        s.latencyCount++;
      }
      touched.set(key, s);
    }
    return [...touched.values()];
  }

  /** Every series, sorted by source, endpoint, status class (stable exposition). */
  all(): SeriesCounts[] {
    return [...this.series.values()].sort(
      (a, b) =>
        a.source.localeCompare(b.source) ||
        a.endpoint.localeCompare(b.endpoint) ||
        a.statusClass.localeCompare(b.statusClass),
    );
  }

  /** Whether any series is an overflow series (the bound was reached). */
  get overflowed(): boolean {
    return this.overflowSeries > 0;
  }
}

function isOverflow(s: SeriesCounts): boolean {
  return s.source === OTHER_LABEL && s.endpoint === OTHER_LABEL;
}
