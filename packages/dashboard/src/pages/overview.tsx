import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, listOf } from '../api';
import { Chart } from '../components/chart';
import { CodeBlock, CopyButton, ErrorMessage, Loading, Section, Segmented, SelectField } from '../components/ui';
import {
  firstEventCurl,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  RANGES,
  type RangeName,
  rangeQuery,
} from '../format';
import { useLoad } from '../hooks';
import { LiveConnection, type LiveStatus } from '../live';
import type { CreatedApiKey, LiveMessage, Me, Timeseries, WindowName, Windows } from '../types';
import { WINDOW_NAMES } from '../types';

/** Points kept for the live charts: one per metrics frame, about 5 minutes at the hub's pace. */
const LIVE_POINTS = 300;

interface LivePoint {
  t: number;
  eps: number;
  errorRate: number;
  p95: number | null;
}

export function OverviewPage({ me }: { me: Me }) {
  const [windows, setWindows] = useState<Windows | null>(null);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [win, setWin] = useState<WindowName>('1m');
  const [points, setPoints] = useState<LivePoint[]>([]);
  const [sawLiveEvent, setSawLiveEvent] = useState(false);

  useEffect(() => {
    const live = new LiveConnection((message: LiveMessage) => {
      if (message.type === 'snapshot' || message.type === 'metrics') {
        setWindows(message.windows);
        const w = message.windows['1m'];
        setPoints((prev) => {
          const next = [...prev, { t: message.t, eps: w.eventsPerSec, errorRate: w.errorRate, p95: w.p95 }];
          return next.length > LIVE_POINTS ? next.slice(next.length - LIVE_POINTS) : next;
        });
      }
      if (message.type === 'events' && message.events.length > 0) setSawLiveEvent(true);
    }, setStatus);
    live.start();
    return () => live.close();
  }, []);

  // Whether the tenant has ever stored an event decides between the first-event guide and the charts.
  const firstEvent = useLoad(
    async (signal) => listOf(await api<unknown>('GET', '/v1/events?limit=1', { signal })).length > 0,
    [],
  );
  const liveCount = windows ? windows['1h'].count : 0;
  const hasEvents = sawLiveEvent || liveCount > 0 || firstEvent.data === true;

  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <LiveBadge status={status} />
      </div>
      {!hasEvents && firstEvent.data === false && <FirstEventGuide me={me} />}
      <Section title="Live" actions={<Segmented label="Window" options={WINDOW_NAMES} value={win} onChange={setWin} />}>
        {windows ? <Tiles stats={windows[win]} window={win} /> : <Loading label="Connecting to the live feed…" />}
        <LiveCharts points={points} />
      </Section>
      <History />
    </>
  );
}

function LiveBadge({ status }: { status: LiveStatus }) {
  const text = status === 'open' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span class={`badge ${status === 'open' ? 'ok' : 'warn'}`} role="status" aria-live="polite">
      {text}
    </span>
  );
}

function Tiles({ stats, window }: { stats: Windows[WindowName]; window: WindowName }) {
  const tiles = [
    { id: 'events-per-sec', label: 'Events/s', value: formatRate(stats.eventsPerSec) },
    { id: 'events', label: `Events (${window})`, value: formatCount(stats.count) },
    { id: 'error-rate', label: 'Error rate', value: formatPercent(stats.count > 0 ? stats.errorRate : null) },
    { id: 'p50', label: 'p50 latency', value: formatMs(stats.p50) },
    { id: 'p95', label: 'p95 latency', value: formatMs(stats.p95) },
    { id: 'p99', label: 'p99 latency', value: formatMs(stats.p99) },
  ];
  return (
    <dl class="tiles" aria-label={`Live figures over the last ${window}`}>
      {tiles.map((t) => (
        <div class="tile" key={t.id} data-tile={t.id}>
          <dt>{t.label}</dt>
          <dd>{t.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function LiveCharts({ points }: { points: LivePoint[] }) {
  const xs = useMemo(() => points.map((p) => p.t / 1000), [points]);
  const throughput = useMemo(() => [{ label: 'events/s (1m)', values: points.map((p) => p.eps) }], [points]);
  const latency = useMemo(() => [{ label: 'p95 ms (1m)', values: points.map((p) => p.p95) }], [points]);
  if (points.length < 2) return null;
  return (
    <div class="chart-grid">
      <Chart
        title="Events per second over the last minutes, live"
        xs={xs}
        series={throughput}
        formatY={formatRate}
        height={180}
      />
      <Chart
        title="p95 latency over the last minutes, live"
        xs={xs}
        series={latency}
        formatY={(v) => formatMs(v)}
        height={180}
      />
    </div>
  );
}

function FirstEventGuide({ me }: { me: Me }) {
  const [key, setKey] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const canCreate = me.user.role === 'owner' || me.user.role === 'admin';
  const command = firstEventCurl(location.origin, key?.key ?? '<your ingest key>');
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      setKey(
        await api<CreatedApiKey>('POST', '/v1/api-keys', { body: { name: 'Getting started', scopes: ['ingest'] } }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Send your first event">
      <p>No events yet. Send one with this command; this page updates as soon as it arrives, no reload needed.</p>
      {canCreate && !key && (
        <button type="button" onClick={create} disabled={busy}>
          {busy ? 'Creating a key…' : 'Create an ingest key for this command'}
        </button>
      )}
      {!canCreate && <p class="muted">Ask an admin of {me.tenant.name} for an API key with the ingest scope.</p>}
      {key && (
        <p class="notice ok" role="status">
          Key <code>{key.prefix}…</code> created. It is shown only now: keep it somewhere safe.
        </p>
      )}
      <ErrorMessage error={error} />
      <CodeBlock label="curl command that sends a first event" text={command} testId="first-event-curl" />
      <CopyButton text={command} label="Copy command" />
      <p class="muted" role="status" aria-live="polite">
        Waiting for your first event…
      </p>
    </Section>
  );
}

const METRICS = [
  { value: 'count', label: 'Events' },
  { value: 'errors', label: 'Errors' },
  { value: 'error_rate', label: 'Error rate' },
  { value: 'latency_avg', label: 'Latency (avg)' },
  { value: 'latency_p50', label: 'Latency p50' },
  { value: 'latency_p95', label: 'Latency p95' },
  { value: 'latency_p99', label: 'Latency p99' },
] as const;
type Metric = (typeof METRICS)[number]['value'];

const GROUPS = [
  { value: '', label: 'None' },
  { value: 'source', label: 'Source' },
  { value: 'endpoint', label: 'Endpoint' },
  { value: 'status', label: 'Status class' },
  { value: 'country', label: 'Country' },
] as const;
type GroupBy = (typeof GROUPS)[number]['value'];

/** Series beyond this many are summed into no chart line: a chart of 40 lines reads as noise. */
const MAX_SERIES = 8;

function History() {
  const [range, setRange] = useState<RangeName>('1h');
  const [metric, setMetric] = useState<Metric>('count');
  const [groupBy, setGroupBy] = useState<GroupBy>('');
  const refreshedAt = useRef(Date.now());
  const ts = useLoad(
    async (signal) => {
      refreshedAt.current = Date.now();
      const q = rangeQuery(range, refreshedAt.current);
      const params = new URLSearchParams({ metric, from: q.from, to: q.to, interval: q.interval });
      if (groupBy) params.set('groupBy', groupBy);
      return api<Timeseries>('GET', `/v1/metrics/timeseries?${params}`, { signal });
    },
    [range, metric, groupBy],
  );
  const { xs, series, hidden } = useMemo(() => {
    const data = ts.data;
    if (!data || data.series.length === 0) return { xs: [] as number[], series: [], hidden: 0 };
    const first = data.series[0];
    const xs = (first?.points ?? []).map((p) => Date.parse(p.t) / 1000);
    const ranked = [...data.series].sort((a, b) => total(b.points) - total(a.points));
    const series = ranked.slice(0, MAX_SERIES).map((s) => ({
      label:
        s.group === null ? (METRICS.find((m) => m.value === data.metric)?.label ?? data.metric) : s.group || '(none)',
      values: s.points.map((p) => p.value),
    }));
    return { xs, series, hidden: Math.max(0, ranked.length - MAX_SERIES) };
  }, [ts.data]);
  const formatY = metric === 'error_rate' ? formatPercent : metric.startsWith('latency') ? formatMs : formatCount;
  return (
    <Section
      title="History"
      actions={
        <button type="button" class="secondary" onClick={ts.reload}>
          Refresh
        </button>
      }
    >
      <div class="toolbar">
        <Segmented label="Range" options={RANGES} value={range} onChange={setRange} />
        <SelectField label="Metric" name="metric" value={metric} options={METRICS} onChange={setMetric} />
        <SelectField label="Group by" name="groupBy" value={groupBy} options={GROUPS} onChange={setGroupBy} />
      </div>
      {ts.error ? <ErrorMessage error={ts.error} /> : null}
      {ts.loading && !ts.data ? <Loading /> : null}
      {series.length > 0 && (
        <Chart
          title={`${metric} over the last ${range}${groupBy ? ` by ${groupBy}` : ''}`}
          xs={xs}
          series={series}
          formatY={formatY}
        />
      )}
      {ts.data && series.length === 0 && <p class="muted">No data in this range.</p>}
      {hidden > 0 && <p class="muted">{hidden} smaller series not drawn.</p>}
    </Section>
  );
}

function total(points: { value: number | null }[]): number {
  let sum = 0;
  for (const p of points) sum += p.value ?? 0;
  return sum;
}
