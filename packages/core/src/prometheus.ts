/**
 * Prometheus text exposition format 0.0.4 for `GET /v1/metrics/prometheus`.
 *
 * Two kinds of series, named for what they are:
 * - cumulative, as Prometheus expects (it computes rates and windows itself): the counters
 *   `pulsestream_events_total` and `pulsestream_errors_total` and the histogram
 *   `pulsestream_request_duration_seconds`, by source, endpoint and status class, persisted by the tenant
 *   hub so a hub restart is not a counter reset; the number of series is bounded (see prometheus-counters);
 * - the hub's trailing windows, as gauges (`pulsestream_window_*`, with a `window` label): they fall as old
 *   minutes leave the window, so they are never counters.
 */
import type { SeriesCounts } from './prometheus-counters';
import { LATENCY_BUCKETS_SECONDS } from './prometheus-counters';
import type { WindowName, WindowStats, WindowsSnapshot } from './rolling-windows';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The per-window numbers the exposition needs (a subset of {@link WindowStats}). */
export type PrometheusStats = Pick<
  WindowStats,
  'count' | 'errors' | 'p50' | 'p95' | 'p99' | 'latencyCount' | 'latencySum'
>;

export interface PrometheusInput {
  /** Window the gauges cover, exported as the `window` label. */
  window: WindowName;
  /** Window stats per source. */
  bySource: Record<string, PrometheusStats>;
  /** Tenant-wide window stats: quantiles cannot be derived from per-source ones. */
  overall?: PrometheusStats;
  /** Cumulative series (the hub's persisted counters). */
  counters?: readonly SeriesCounts[];
  /** The bound on cumulative series, and whether it was reached. */
  seriesLimit?: { max: number; overflowed: boolean };
  /** Constant labels added to every sample, e.g. `{ tenant: "acme" }`. */
  labels?: Record<string, string>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['source', 'endpoint', 'status_class', 'window', 'percentile', 'quantile', 'le']);

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
}

/**
 * Window percentiles are gauges, labelled `percentile` (`p50`, `p95`, `p99`): the label name `quantile` is
 * reserved for summaries, whose `_sum` and `_count` would have to be cumulative, which a window's are not.
 */
const PERCENTILES: readonly { q: string; key: 'p50' | 'p95' | 'p99' }[] = [
  { q: 'p50', key: 'p50' },
  { q: 'p95', key: 'p95' },
  { q: 'p99', key: 'p99' },
];

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes only backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: [string, string][]): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

function validateConstantLabels(labels: Record<string, string>): [string, string][] {
  const entries = Object.entries(labels);
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || RESERVED_LABELS.has(name)) {
      throw new Error(`invalid or reserved Prometheus label name: ${JSON.stringify(name)}`);
    }
  }
  return entries;
}

const msToSeconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/**
 * Renders the cumulative series and the window gauges as Prometheus text exposition format 0.0.4.
 * Output is sorted for stability.
 * @throws Error when a constant label name is invalid or reserved.
 */
export function renderPrometheus(input: PrometheusInput): string {
  const constant = validateConstantLabels(input.labels ?? {});
  const sources = Object.keys(input.bySource).sort();
  const counters = input.counters ?? [];
  const lines: string[] = [];

  const family = (f: Family, samples: () => void): void => {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    samples();
  };
  const sample = (name: string, labels: [string, string][], value: number | null): void => {
    lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  };
  const seriesLabels = (s: SeriesCounts): [string, string][] => [
    ['source', s.source],
    ['endpoint', s.endpoint],
    ['status_class', s.statusClass],
    ...constant,
  ];
  const windowLabels = (source?: string): [string, string][] => [
    ...(source === undefined ? [] : ([['source', source]] as [string, string][])),
    ['window', input.window],
    ...constant,
  ];

  family(
    {
      name: 'pulsestream_events_total',
      help: 'Events stored, cumulative, by source, endpoint and status class.',
      type: 'counter',
    },
    () => {
      for (const s of counters) sample('pulsestream_events_total', seriesLabels(s), s.events);
    },
  );
  family(
    {
      name: 'pulsestream_errors_total',
      help: 'Error events (type error or status >= 500) stored, cumulative, by source, endpoint and status class.',
      type: 'counter',
    },
    () => {
      for (const s of counters) sample('pulsestream_errors_total', seriesLabels(s), s.errors);
    },
  );
  family(
    {
      name: 'pulsestream_request_duration_seconds',
      help: 'Latency of the calls the events describe, in seconds, cumulative, by source, endpoint and status class.',
      type: 'histogram',
    },
    () => {
      for (const s of counters) {
        const labels = seriesLabels(s);
        let cumulative = 0;
        LATENCY_BUCKETS_SECONDS.forEach((bound, i) => {
          cumulative += s.buckets[i] ?? 0;
          sample('pulsestream_request_duration_seconds_bucket', [...labels, ['le', String(bound)]], cumulative);
        });
        sample('pulsestream_request_duration_seconds_bucket', [...labels, ['le', '+Inf']], s.latencyCount);
        sample('pulsestream_request_duration_seconds_sum', labels, s.latencySumSeconds);
        sample('pulsestream_request_duration_seconds_count', labels, s.latencyCount);
      }
    },
  );
  if (input.seriesLimit) {
    const limit = input.seriesLimit;
    family(
      {
        name: 'pulsestream_series_limit',
        help: 'Cumulative series kept per tenant; past it, new series are counted under source and endpoint "__other__".',
        type: 'gauge',
      },
      () => sample('pulsestream_series_limit', constant, limit.max),
    );
    family(
      {
        name: 'pulsestream_series_overflowed',
        help: '1 when the series limit was reached and some events are counted under "__other__".',
        type: 'gauge',
      },
      () => sample('pulsestream_series_overflowed', constant, limit.overflowed ? 1 : 0),
    );
  }

  family(
    { name: 'pulsestream_window_events', help: 'Events in the trailing window, by source.', type: 'gauge' },
    () => {
      for (const s of sources) sample('pulsestream_window_events', windowLabels(s), input.bySource[s]?.count ?? 0);
    },
  );
  family(
    { name: 'pulsestream_window_errors', help: 'Error events in the trailing window, by source.', type: 'gauge' },
    () => {
      for (const s of sources) sample('pulsestream_window_errors', windowLabels(s), input.bySource[s]?.errors ?? 0);
    },
  );
  family(
    {
      name: 'pulsestream_window_latency_seconds',
      help: 'Latency percentiles (p50, p95, p99) over the trailing window, in seconds, by source (NaN without observations).',
      type: 'gauge',
    },
    () => {
      for (const s of sources) {
        const stats = input.bySource[s];
        if (!stats) continue;
        for (const { q, key } of PERCENTILES) {
          sample(
            'pulsestream_window_latency_seconds',
            [...windowLabels(s), ['percentile', q]],
            msToSeconds(stats[key]),
          );
        }
      }
    },
  );
  const overall = input.overall;
  if (overall) {
    family(
      {
        name: 'pulsestream_tenant_window_latency_seconds',
        help: 'Latency percentiles (p50, p95, p99) over the trailing window, in seconds, all sources.',
        type: 'gauge',
      },
      () => {
        for (const { q, key } of PERCENTILES) {
          sample(
            'pulsestream_tenant_window_latency_seconds',
            [...windowLabels(), ['percentile', q]],
            msToSeconds(overall[key]),
          );
        }
      },
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Convenience over {@link renderPrometheus} for the hub's output: RollingWindows.snapshot and
 * RollingWindows.bySource, plus the cumulative series.
 */
export function renderPrometheusFromWindows(
  overall: WindowsSnapshot,
  bySource: Record<string, WindowsSnapshot>,
  window: WindowName = '1m',
  extra: Pick<PrometheusInput, 'counters' | 'seriesLimit' | 'labels'> = {},
): string {
  const perSource: Record<string, PrometheusStats> = Object.create(null);
  for (const [source, snapshot] of Object.entries(bySource)) perSource[source] = snapshot[window];
  return renderPrometheus({ window, bySource: perSource, overall: overall[window], ...extra });
}
