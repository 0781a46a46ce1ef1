import { describe, expect, it } from 'vitest';
import type { PrometheusStats } from './prometheus';
import { escapeLabelValue, renderPrometheus, renderPrometheusFromWindows } from './prometheus';
import { CumulativeCounters, LATENCY_BUCKETS_SECONDS, OTHER_LABEL } from './prometheus-counters';
import { RollingWindows } from './rolling-windows';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseValue(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(text)) throw new Error(`bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `start`; returns labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  if (line[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error(`no "=" in ${line}`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${name}`);
    if (name in labels) throw new Error(`duplicate label ${name}`);
    if (line[eq + 1] !== '"') throw new Error(`unquoted value in ${line}`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = line[j];
      if (c === undefined) throw new Error(`unterminated value in ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in ${line}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    j++;
    if (line[j] === '}') return { labels, end: j + 1 };
    if (line[j] !== ',') throw new Error(`expected "," or "}" at ${j} in ${line}`);
    i = j + 1;
  }
}

/**
 * A strict parser for the subset of text format 0.0.4 the renderer may emit:
 * HELP before TYPE, TYPE before samples, families contiguous, no duplicate series.
 */
function parseExposition(text: string): Parsed {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const parsed: Parsed = { types: new Map(), help: new Map(), samples: [] };
  const seenSeries = new Set<string>();
  let current: string | undefined;
  const closed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') throw new Error('blank line');
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment ${line}`);
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (kind === 'HELP') {
        if (parsed.help.has(name)) throw new Error(`second HELP for ${name}`);
        parsed.help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
        if (current !== undefined) closed.add(current);
        current = undefined;
      } else {
        if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(rest))
          throw new Error(`bad type ${rest}`);
        if (parsed.types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (!parsed.help.has(name)) throw new Error(`TYPE before HELP for ${name}`);
        parsed.types.set(name, rest);
        current = name;
      }
      continue;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad sample ${line}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const l = parseLabels(line, name.length);
      labels = l.labels;
      rest = line.slice(l.end);
    }
    const valueMatch = /^ (\S+)$/.exec(rest);
    if (!valueMatch) throw new Error(`bad value part in ${line}`);
    const family = parsed.types.has(name) ? name : name.replace(/_(sum|count|bucket)$/, '');
    if (family !== current || closed.has(family)) throw new Error(`sample ${name} outside its family block`);
    const type = parsed.types.get(family);
    if (family !== name && type !== 'summary' && type !== 'histogram') throw new Error(`${name} suffix on ${type}`);
    if (name.endsWith('_bucket') && (type !== 'histogram' || !('le' in labels))) throw new Error(`bad bucket ${line}`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} without _total`);
    if (parsed.types.get(family) === 'summary' && family === name && !('quantile' in labels)) {
      throw new Error(`summary sample without quantile: ${line}`);
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seenSeries.has(key)) throw new Error(`duplicate series ${key}`);
    seenSeries.add(key);
    parsed.samples.push({ name, labels, value: parseValue(valueMatch[1] ?? '') });
  }
  return parsed;
}

function find(parsed: Parsed, name: string, labels: Record<string, string>): number | undefined {
  return parsed.samples.find(
    (s) =>
      s.name === name &&
      Object.keys(labels).length === Object.keys(s.labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

const stripe: PrometheusStats = {
  count: 123,
  errors: 4,
  p50: 81.2,
  p95: 240,
  p99: 1200.5,
  latencyCount: 120,
  latencySum: 15000.25,
};
const quiet: PrometheusStats = {
  count: 2,
  errors: 0,
  p50: null,
  p95: null,
  p99: null,
  latencyCount: 0,
  latencySum: 0,
};

describe('escapeLabelValue', () => {
  it('escapes backslash, quote and newline only', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain é ✓ \t')).toBe('plain é ✓ \t');
  });
});

function countersOf(
  events: { source: string; endpoint: string; status: number | null; latencyMs: number | null; type?: string }[],
) {
  const c = new CumulativeCounters();
  c.add(events.map((e) => ({ type: e.type ?? 'api_call', ...e })));
  return c;
}

describe('renderPrometheus: cumulative series', () => {
  const c = countersOf([
    { source: 'stripe', endpoint: 'POST /v1/charges', status: 200, latencyMs: 80 },
    { source: 'stripe', endpoint: 'POST /v1/charges', status: 201, latencyMs: 300 },
    { source: 'stripe', endpoint: 'POST /v1/charges', status: 502, latencyMs: 12_000 },
    { source: 'stripe', endpoint: 'POST /v1/charges', status: null, latencyMs: null, type: 'error' },
    { source: 'twilio', endpoint: 'GET /x', status: 404, latencyMs: 99_000 },
  ]);
  const text = renderPrometheus({
    window: '1m',
    bySource: {},
    counters: c.all(),
    seriesLimit: { max: 500, overflowed: false },
  });
  const parsed = parseExposition(text);

  it('types the counters as counters and the latency as a histogram in seconds', () => {
    expect(parsed.types.get('pulsestream_events_total')).toBe('counter');
    expect(parsed.types.get('pulsestream_errors_total')).toBe('counter');
    expect(parsed.types.get('pulsestream_request_duration_seconds')).toBe('histogram');
    expect([...parsed.types.keys()].filter((n) => n.includes('_ms'))).toEqual([]);
    for (const [name, type] of parsed.types) if (type !== 'counter') expect(name.endsWith('_total')).toBe(false);
  });

  it('counts by source, endpoint and status class, errors as type error or 5xx', () => {
    const l = (status_class: string) => ({ source: 'stripe', endpoint: 'POST /v1/charges', status_class });
    expect(find(parsed, 'pulsestream_events_total', l('2xx'))).toBe(2);
    expect(find(parsed, 'pulsestream_events_total', l('5xx'))).toBe(1);
    expect(find(parsed, 'pulsestream_events_total', l('none'))).toBe(1);
    expect(find(parsed, 'pulsestream_errors_total', l('2xx'))).toBe(0);
    expect(find(parsed, 'pulsestream_errors_total', l('5xx'))).toBe(1);
    expect(find(parsed, 'pulsestream_errors_total', l('none'))).toBe(1);
  });

  it('fills cumulative buckets in seconds, +Inf equal to count, sum in seconds', () => {
    const l = { source: 'stripe', endpoint: 'POST /v1/charges', status_class: '2xx' };
    const bucket = (le: string) => find(parsed, 'pulsestream_request_duration_seconds_bucket', { ...l, le });
    expect(bucket('0.05')).toBe(0);
    expect(bucket('0.1')).toBe(1);
    expect(bucket('0.25')).toBe(1);
    expect(bucket('0.5')).toBe(2);
    expect(bucket('+Inf')).toBe(2);
    expect(find(parsed, 'pulsestream_request_duration_seconds_sum', l)).toBeCloseTo(0.38, 10);
    expect(find(parsed, 'pulsestream_request_duration_seconds_count', l)).toBe(2);
    const slow = { source: 'twilio', endpoint: 'GET /x', status_class: '4xx' };
    expect(find(parsed, 'pulsestream_request_duration_seconds_bucket', { ...slow, le: '60' })).toBe(0);
    expect(find(parsed, 'pulsestream_request_duration_seconds_bucket', { ...slow, le: '+Inf' })).toBe(1);
    const les = parsed.samples
      .filter((s) => s.name === 'pulsestream_request_duration_seconds_bucket' && s.labels.source === 'twilio')
      .map((s) => s.labels.le);
    expect(les).toEqual([...LATENCY_BUCKETS_SECONDS.map(String), '+Inf']);
  });

  it('reports the series bound', () => {
    expect(find(parsed, 'pulsestream_series_limit', {})).toBe(500);
    expect(find(parsed, 'pulsestream_series_overflowed', {})).toBe(0);
  });
});

describe('CumulativeCounters', () => {
  it('only grows, and restarts from persisted rows where it left off', () => {
    const a = new CumulativeCounters();
    const touched = a.add([
      { source: 's', endpoint: 'e', type: 'api_call', status: 200, latencyMs: 1 },
      { source: 's', endpoint: 'e', type: 'api_call', status: 200, latencyMs: 2 },
    ]);
    expect(touched).toHaveLength(1);
    const restored = new CumulativeCounters(JSON.parse(JSON.stringify(a.all())));
    restored.add([{ source: 's', endpoint: 'e', type: 'api_call', status: 200, latencyMs: 3 }]);
    expect(restored.all()[0]).toMatchObject({ events: 3, latencyCount: 3 });
    expect(restored.all()[0]?.latencySumSeconds).toBeCloseTo(0.006, 12);
  });

  it('folds series past the bound into __other__ per status class, keeping totals exact', () => {
    const c = new CumulativeCounters([], 3);
    const events = Array.from({ length: 10 }, (_, i) => ({
      source: `s${i}`,
      endpoint: 'GET /',
      type: 'api_call',
      status: i % 2 === 0 ? 200 : 503,
      latencyMs: 10,
    }));
    c.add(events);
    c.add([{ source: 's0', endpoint: 'GET /', type: 'api_call', status: 200, latencyMs: 10 }]);
    const all = c.all();
    expect(all.filter((s) => s.source !== OTHER_LABEL)).toHaveLength(3);
    expect(all.filter((s) => s.source === OTHER_LABEL).map((s) => [s.statusClass, s.events])).toEqual([
      ['2xx', 3],
      ['5xx', 4],
    ]);
    expect(all.reduce((n, s) => n + s.events, 0)).toBe(11);
    expect(c.overflowed).toBe(true);
    // A hostile name is a label value like any other.
    const h = new CumulativeCounters();
    h.add([{ source: '__proto__', endpoint: 'constructor', type: null, status: 200, latencyMs: null }]);
    expect(h.all()[0]).toMatchObject({ source: '__proto__', endpoint: 'constructor', events: 1, latencyCount: 0 });
  });
});

describe('renderPrometheus: window gauges', () => {
  it('names windowed figures as gauges with a window label, latency in seconds', () => {
    const text = renderPrometheus({ window: '5m', bySource: { twilio: quiet, stripe }, overall: stripe });
    const parsed = parseExposition(text);
    expect(parsed.types.get('pulsestream_window_events')).toBe('gauge');
    expect(parsed.types.get('pulsestream_window_latency_seconds')).toBe('gauge');
    expect(find(parsed, 'pulsestream_window_events', { source: 'stripe', window: '5m' })).toBe(123);
    expect(find(parsed, 'pulsestream_window_errors', { source: 'stripe', window: '5m' })).toBe(4);
    expect(
      find(parsed, 'pulsestream_window_latency_seconds', { source: 'stripe', window: '5m', percentile: 'p99' }),
    ).toBe(1.2005);
    expect(
      find(parsed, 'pulsestream_window_latency_seconds', { source: 'twilio', window: '5m', percentile: 'p50' }),
    ).toBeNaN();
    expect(find(parsed, 'pulsestream_tenant_window_latency_seconds', { window: '5m', percentile: 'p95' })).toBe(0.24);
    const order = parsed.samples.filter((s) => s.name === 'pulsestream_window_events').map((s) => s.labels.source);
    expect(order).toEqual(['stripe', 'twilio']);
  });

  it('round-trips awkward names through escaping', () => {
    const names = ['we"ird', 'back\\slash', 'new\nline', 'trailing\\', 'ünïcødé ✓', 'a,b=c}'];
    const counters = countersOf(names.map((n) => ({ source: n, endpoint: n, status: 200, latencyMs: 1 }))).all();
    const bySource = Object.fromEntries(names.map((n, i) => [n, { ...stripe, count: i }]));
    const parsed = parseExposition(renderPrometheus({ window: '1m', bySource, counters }));
    const events = parsed.samples.filter((s) => s.name === 'pulsestream_window_events');
    expect(events.map((s) => s.labels.source).sort()).toEqual([...names].sort());
    const totals = parsed.samples.filter((s) => s.name === 'pulsestream_events_total');
    expect(totals.map((s) => s.labels.endpoint).sort()).toEqual([...names].sort());
  });

  it('adds constant labels and refuses invalid or reserved ones', () => {
    const parsed = parseExposition(
      renderPrometheus({
        window: '1h',
        bySource: { stripe },
        counters: countersOf([{ source: 's', endpoint: 'e', status: 200, latencyMs: 1 }]).all(),
        labels: { tenant: 'acme "corp"' },
      }),
    );
    expect(parsed.samples.every((s) => s.labels.tenant === 'acme "corp"')).toBe(true);
    for (const name of ['1abc', 'has-dash', '__reserved', 'source', 'quantile', 'le', 'endpoint', '']) {
      expect(() => renderPrometheus({ window: '1m', bySource: {}, labels: { [name]: 'x' } })).toThrow(/label name/);
    }
  });

  it('is valid with nothing to report', () => {
    const parsed = parseExposition(renderPrometheus({ window: '1m', bySource: {} }));
    expect(parsed.samples).toHaveLength(0);
  });
});

describe('the test parser itself', () => {
  it('rejects malformed exposition', () => {
    const ok = '# HELP m h\n# TYPE m gauge\nm{a="b"} 1\n';
    expect(() => parseExposition(ok)).not.toThrow();
    expect(() => parseExposition('m 1\n')).toThrow(/outside/);
    expect(() => parseExposition('# HELP m h\n# TYPE m gauge\nm{a="b} 1\n')).toThrow();
    expect(() => parseExposition('# HELP m h\n# TYPE m gauge\nm{a="\\t"} 1\n')).toThrow(/escape/);
    expect(() => parseExposition('# HELP m h\n# TYPE m gauge\nm 1\nm 2\n')).toThrow(/duplicate/);
    expect(() => parseExposition('# HELP m h\n# TYPE m counter\nm 1\n')).toThrow(/_total/);
    expect(() => parseExposition('# HELP m h\n# TYPE m histogram\nm_bucket 1\n')).toThrow(/bucket/);
    expect(() => parseExposition(ok.slice(0, -1))).toThrow(/newline/);
  });
});

describe('renderPrometheusFromWindows', () => {
  it('renders live rolling windows and the cumulative series together', () => {
    const now = Date.parse('2025-06-01T12:00:30Z');
    const w = new RollingWindows();
    for (let i = 1; i <= 100; i++) w.add({ timestamp: now, source: 'stripe', latencyMs: i, status: 200 }, now);
    w.add({ timestamp: now - 10 * 60_000, source: 'openai', latencyMs: 900 }, now);
    const counters = countersOf([{ source: 'stripe', endpoint: 'e', status: 200, latencyMs: 1 }]);
    const text = renderPrometheusFromWindows(w.snapshot(now), w.bySource(now), '1m', {
      counters: counters.all(),
      labels: { tenant: 't1' },
    });
    const parsed = parseExposition(text);
    const l = { source: 'stripe', window: '1m', tenant: 't1' };
    expect(find(parsed, 'pulsestream_window_events', l)).toBe(100);
    const p99 = find(parsed, 'pulsestream_window_latency_seconds', { ...l, percentile: 'p99' }) ?? 0;
    expect(Math.abs(p99 - 0.099) / 0.099).toBeLessThanOrEqual(0.01);
    expect(find(parsed, 'pulsestream_window_events', { ...l, source: 'openai' })).toBe(0);
    expect(
      find(parsed, 'pulsestream_events_total', { source: 'stripe', endpoint: 'e', status_class: '2xx', tenant: 't1' }),
    ).toBe(1);
  });
});
