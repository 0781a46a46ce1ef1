import { describe, expect, it } from 'vitest';
import type { PrometheusStats } from './prometheus';
import { escapeLabelValue, renderPrometheus, renderPrometheusFromWindows } from './prometheus';
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
    const family = parsed.types.has(name) ? name : name.replace(/_(sum|count)$/, '');
    if (family !== current || closed.has(family)) throw new Error(`sample ${name} outside its family block`);
    if (family !== name && parsed.types.get(family) !== 'summary') throw new Error(`${name} suffix on non-summary`);
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

describe('renderPrometheus', () => {
  it('emits typed families with per-source samples', () => {
    const text = renderPrometheus({ window: '5m', bySource: { twilio: quiet, stripe } });
    const parsed = parseExposition(text);
    expect([...parsed.types]).toEqual([
      ['pulsestream_events_total', 'gauge'],
      ['pulsestream_errors_total', 'gauge'],
      ['pulsestream_latency_ms', 'summary'],
    ]);
    expect(text).toContain('pulsestream_events_total{source="stripe",window="5m"} 123\n');
    expect(find(parsed, 'pulsestream_errors_total', { source: 'stripe', window: '5m' })).toBe(4);
    expect(find(parsed, 'pulsestream_latency_ms', { source: 'stripe', window: '5m', quantile: '0.5' })).toBe(81.2);
    expect(find(parsed, 'pulsestream_latency_ms', { source: 'stripe', window: '5m', quantile: '0.95' })).toBe(240);
    expect(find(parsed, 'pulsestream_latency_ms', { source: 'stripe', window: '5m', quantile: '0.99' })).toBe(1200.5);
    expect(find(parsed, 'pulsestream_latency_ms_sum', { source: 'stripe', window: '5m' })).toBe(15000.25);
    expect(find(parsed, 'pulsestream_latency_ms_count', { source: 'stripe', window: '5m' })).toBe(120);
    expect(find(parsed, 'pulsestream_latency_ms', { source: 'twilio', window: '5m', quantile: '0.99' })).toBeNaN();
    expect(find(parsed, 'pulsestream_latency_ms_count', { source: 'twilio', window: '5m' })).toBe(0);
    // Sorted by source within each family.
    const order = parsed.samples.filter((s) => s.name === 'pulsestream_events_total').map((s) => s.labels.source);
    expect(order).toEqual(['stripe', 'twilio']);
    expect(parsed.samples).toHaveLength(2 + 2 + 2 * 5);
  });

  it('round-trips awkward source names through escaping', () => {
    const names = ['we"ird', 'back\\slash', 'new\nline', 'trailing\\', '\\"\\n', 'ünïcødé ✓', 'a,b=c}'];
    const bySource = Object.fromEntries(names.map((n, i) => [n, { ...stripe, count: i }]));
    const text = renderPrometheus({ window: '1m', bySource });
    expect(text).toContain('source="we\\"ird"');
    expect(text).toContain('source="new\\nline"');
    expect(text.split('\n').every((line) => !line.startsWith('line"'))).toBe(true);
    const parsed = parseExposition(text);
    const events = parsed.samples.filter((s) => s.name === 'pulsestream_events_total');
    expect(events.map((s) => s.labels.source).sort()).toEqual([...names].sort());
    for (const s of events) expect(s.value).toBe(names.indexOf(s.labels.source ?? ''));
  });

  it('adds tenant-wide families and constant labels', () => {
    const text = renderPrometheus({
      window: '1h',
      bySource: { stripe },
      overall: { ...stripe, count: 200 },
      labels: { tenant: 'acme "corp"' },
    });
    const parsed = parseExposition(text);
    expect(parsed.types.get('pulsestream_tenant_latency_ms')).toBe('summary');
    expect(find(parsed, 'pulsestream_tenant_events_total', { window: '1h', tenant: 'acme "corp"' })).toBe(200);
    expect(
      find(parsed, 'pulsestream_tenant_latency_ms', { window: '1h', tenant: 'acme "corp"', quantile: '0.99' }),
    ).toBe(1200.5);
    expect(parsed.samples.every((s) => s.labels.tenant === 'acme "corp"')).toBe(true);
  });

  it('is valid with no sources', () => {
    const parsed = parseExposition(renderPrometheus({ window: '1m', bySource: {} }));
    expect(parsed.samples).toHaveLength(0);
    expect(parsed.types.size).toBe(3);
  });

  it('rejects invalid or reserved constant label names', () => {
    for (const name of ['1abc', 'has-dash', '__reserved', 'source', 'quantile', '']) {
      expect(() => renderPrometheus({ window: '1m', bySource: {}, labels: { [name]: 'x' } })).toThrow(/label name/);
    }
  });

  it('formats special values', () => {
    const text = renderPrometheus({
      window: '1m',
      bySource: { s: { ...stripe, p50: Number.POSITIVE_INFINITY, latencySum: 1e-7 } },
    });
    expect(text).toContain('quantile="0.5"} +Inf\n');
    const parsed = parseExposition(text);
    expect(find(parsed, 'pulsestream_latency_ms_sum', { source: 's', window: '1m' })).toBe(1e-7);
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
    expect(() => parseExposition('# HELP m h\n# TYPE m gauge\nm one\n')).toThrow(/value/);
    expect(() => parseExposition(ok.slice(0, -1))).toThrow(/newline/);
  });
});

describe('renderPrometheusFromWindows', () => {
  it('renders live rolling windows', () => {
    const now = Date.parse('2025-06-01T12:00:30Z');
    const w = new RollingWindows();
    for (let i = 1; i <= 100; i++) w.add({ timestamp: now, source: 'stripe', latencyMs: i, status: 200 }, now);
    w.add({ timestamp: now, source: 'stripe', status: 500 }, now);
    w.add({ timestamp: now - 10 * 60_000, source: 'openai', latencyMs: 900 }, now);
    const text = renderPrometheusFromWindows(w.snapshot(now), w.bySource(now), '1m', { tenant: 't1' });
    const parsed = parseExposition(text);
    const l = { source: 'stripe', window: '1m', tenant: 't1' };
    expect(find(parsed, 'pulsestream_events_total', l)).toBe(101);
    expect(find(parsed, 'pulsestream_errors_total', l)).toBe(1);
    expect(find(parsed, 'pulsestream_latency_ms_count', l)).toBe(100);
    expect(find(parsed, 'pulsestream_latency_ms_sum', l)).toBe(5050);
    const p99 = find(parsed, 'pulsestream_latency_ms', { ...l, quantile: '0.99' }) ?? 0;
    expect(Math.abs(p99 - 99) / 99).toBeLessThanOrEqual(0.01);
    // openai is outside the 1m window but still listed (count 0).
    expect(find(parsed, 'pulsestream_events_total', { ...l, source: 'openai' })).toBe(0);
    expect(find(parsed, 'pulsestream_tenant_events_total', { window: '1m', tenant: 't1' })).toBe(101);
  });
});
