/**
 * Prometheus text exposition format 0.0.4 for `GET /v1/metrics/prometheus`.
 *
 * The numbers come from rolling windows, so event and error counts are typed
 * `gauge`: they fall as old minutes leave the window, and declaring them
 * `counter` would make rate() read every fall as a counter reset. The `_total`
 * names are kept because clients are written against them; the `window` label
 * says which trailing window the values cover.
 */
import type { WindowName, WindowStats, WindowsSnapshot } from './rolling-windows';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The per-window numbers the exposition needs (a subset of {@link WindowStats}). */
export type PrometheusStats = Pick<
  WindowStats,
  'count' | 'errors' | 'p50' | 'p95' | 'p99' | 'latencyCount' | 'latencySum'
>;

export interface PrometheusInput {
  /** Window the stats cover, exported as the `window` label. */
  window: WindowName;
  /** Stats per source for that window. */
  bySource: Record<string, PrometheusStats>;
  /** Tenant-wide stats for that window: quantiles cannot be derived from per-source ones. */
  overall?: PrometheusStats;
  /** Constant labels added to every sample, e.g. `{ tenant: "acme" }`. */
  labels?: Record<string, string>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['source', 'window', 'quantile']);

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'summary';
}

const QUANTILES: readonly { q: string; key: 'p50' | 'p95' | 'p99' }[] = [
  { q: '0.5', key: 'p50' },
  { q: '0.95', key: 'p95' },
  { q: '0.99', key: 'p99' },
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
  // A summary without observations reports NaN quantiles, as the official client libraries do.
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

/**
 * Renders per-source (and optionally tenant-wide) window stats as Prometheus
 * text exposition format 0.0.4. Sources are sorted for stable output.
 * @throws Error when a constant label name is invalid or reserved.
 */
export function renderPrometheus(input: PrometheusInput): string {
  const constant = validateConstantLabels(input.labels ?? {});
  const sources = Object.keys(input.bySource).sort();
  const lines: string[] = [];

  const family = (f: Family, samples: () => void): void => {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    samples();
  };
  const sample = (name: string, labels: [string, string][], value: number | null): void => {
    lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  };
  const windowLabels = (source?: string): [string, string][] => [
    ...(source === undefined ? [] : ([['source', source]] as [string, string][])),
    ['window', input.window],
    ...constant,
  ];
  const summary = (name: string, labels: [string, string][], stats: PrometheusStats): void => {
    for (const { q, key } of QUANTILES) sample(name, [...labels, ['quantile', q]], stats[key]);
    sample(`${name}_sum`, labels, stats.latencySum);
    sample(`${name}_count`, labels, stats.latencyCount);
  };

  family(
    { name: 'pulsestream_events_total', help: 'Events received in the trailing window, by source.', type: 'gauge' },
    () => {
      for (const s of sources) sample('pulsestream_events_total', windowLabels(s), input.bySource[s]?.count ?? 0);
    },
  );
  family(
    {
      name: 'pulsestream_errors_total',
      help: 'Error events (type error or status >= 500) in the trailing window, by source.',
      type: 'gauge',
    },
    () => {
      for (const s of sources) sample('pulsestream_errors_total', windowLabels(s), input.bySource[s]?.errors ?? 0);
    },
  );
  family(
    {
      name: 'pulsestream_latency_ms',
      help: 'Latency in milliseconds over the trailing window, by source.',
      type: 'summary',
    },
    () => {
      for (const s of sources) {
        const stats = input.bySource[s];
        if (stats) summary('pulsestream_latency_ms', windowLabels(s), stats);
      }
    },
  );

  const overall = input.overall;
  if (overall) {
    family(
      { name: 'pulsestream_tenant_events_total', help: 'Events received in the trailing window.', type: 'gauge' },
      () => sample('pulsestream_tenant_events_total', windowLabels(), overall.count),
    );
    family(
      { name: 'pulsestream_tenant_errors_total', help: 'Error events in the trailing window.', type: 'gauge' },
      () => sample('pulsestream_tenant_errors_total', windowLabels(), overall.errors),
    );
    family(
      {
        name: 'pulsestream_tenant_latency_ms',
        help: 'Latency in milliseconds over the trailing window, all sources.',
        type: 'summary',
      },
      () => summary('pulsestream_tenant_latency_ms', windowLabels(), overall),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Convenience over {@link renderPrometheus} for the output of
 * RollingWindows.snapshot and RollingWindows.bySource.
 */
export function renderPrometheusFromWindows(
  overall: WindowsSnapshot,
  bySource: Record<string, WindowsSnapshot>,
  window: WindowName = '1m',
  labels?: Record<string, string>,
): string {
  const perSource: Record<string, PrometheusStats> = Object.create(null);
  for (const [source, snapshot] of Object.entries(bySource)) perSource[source] = snapshot[window];
  return renderPrometheus({ window, bySource: perSource, overall: overall[window], ...(labels ? { labels } : {}) });
}
