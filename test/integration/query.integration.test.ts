import { env, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { type EventInsert, insertEvents } from '@pulsestream/db';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { HubCounters } from '../../workers/objects/hub-counters';
import { truncateAll, withDb } from '../helpers/db';
import { liveEvent } from '../helpers/live';
import { createTestApiKey, createTestTenant, type TestTenant } from '../helpers/tenants';

// Three whole hours of traffic, 2026-11-03 10:00–13:00 UTC, minute 17 of hour 11 left empty on purpose.
const START = Date.UTC(2026, 10, 3, 10, 0);
const END = START + 3 * 3_600_000;
const GAP_MINUTE = START + 77 * 60_000;
const SOURCES = ['stripe', 'twilio', 'openai'] as const;
const ENDPOINTS = ['POST /v1/charges', 'GET /v1/customers', 'POST /v1/messages'] as const;
const COUNTRIES = ['DE', 'US', 'FR', null] as const;

let tenant: TestTenant;
let other: TestTenant;
let rows: EventInsert[];

/** A deterministic pseudo-random generator, so a failure reproduces. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

beforeAll(async () => {
  await truncateAll();
  tenant = await createTestTenant({ name: 'Query' });
  other = await createTestTenant({ name: 'Query other' });
  const rand = lcg(42);
  rows = [];
  for (let i = 0; i < 6_000; i++) {
    let ts = START + Math.floor(rand() * (END - START));
    if (ts >= GAP_MINUTE && ts < GAP_MINUTE + 60_000) ts += 60_000;
    const r = rand();
    const status = r < 0.05 ? 503 : r < 0.1 ? 429 : r < 0.12 ? null : 200;
    // Log-normal-ish latencies with a heavy tail, some missing, a few zero.
    const latency = rand() < 0.03 ? null : rand() < 0.01 ? 0 : Math.round(Math.exp(3 + rand() * 4) * 10) / 10;
    rows.push({
      tenantId: tenant.tenantId,
      id: `q-${i}`,
      timestamp: ts,
      receivedAt: ts + 5,
      type: rand() < 0.02 ? 'error' : 'api_call',
      source: SOURCES[i % 3] ?? 'stripe',
      endpoint: rand() < 0.1 ? null : (ENDPOINTS[Math.floor(rand() * 3)] ?? null),
      method: 'POST',
      status,
      latencyMs: latency,
      country: COUNTRIES[Math.floor(rand() * 4)] ?? null,
      properties: { i },
    });
  }
  await withDb(async (db) => {
    for (let i = 0; i < rows.length; i += 1_000) await insertEvents(db, rows.slice(i, i + 1_000));
    // The other tenant has traffic in the same minutes; none of it may show up for `tenant`.
    await insertEvents(
      db,
      rows.slice(0, 500).map((r) => ({ ...r, tenantId: other.tenantId, id: `o-${r.id}`, source: 'other-src' })),
    );
  });
});

const isError = (r: EventInsert) => r.type === 'error' || (r.status ?? 0) >= 500;
const exactQuantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
};
const within1pct = (got: number | null, want: number) => {
  expect(got).not.toBeNull();
  if (want === 0) expect(got).toBe(0);
  else expect(Math.abs((got ?? 0) - want) / want).toBeLessThanOrEqual(0.01);
};

async function get<T>(path: string, bearer = tenant.bearer): Promise<{ status: number; body: T; res: Response }> {
  const res = await exports.default.fetch(`http://ps.test${path}`, { headers: { authorization: bearer } });
  const text = await res.text();
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  return { status: res.status, body, res };
}

interface Timeseries {
  series: { group: string | null; points: { t: string; value: number | null }[] }[];
}

const qs = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();

describe('GET /v1/metrics/timeseries', () => {
  it('counts per minute equal the raw events, with zero-filled gaps', async () => {
    const { status, body } = await get<Timeseries>(
      `/v1/metrics/timeseries?${qs({ metric: 'count', from: START, to: END, interval: '1m' })}`,
    );
    expect(status).toBe(200);
    const points = body.series[0]?.points ?? [];
    expect(points).toHaveLength(180);
    for (const p of points) {
      const t = Date.parse(p.t);
      expect(p.value).toBe(rows.filter((r) => r.timestamp >= t && r.timestamp < t + 60_000).length);
    }
    expect(points.find((p) => Date.parse(p.t) === GAP_MINUTE)?.value).toBe(0);
  });

  it('errors, error rate and average per hour and source equal the raw events', async () => {
    for (const metric of ['errors', 'error_rate', 'latency_avg'] as const) {
      const { body } = await get<Timeseries>(
        `/v1/metrics/timeseries?${qs({ metric, from: START, to: END, interval: '1h', groupBy: 'source' })}`,
      );
      expect(body.series.map((s) => s.group).sort()).toEqual([...SOURCES].sort());
      for (const s of body.series) {
        for (const p of s.points) {
          const t = Date.parse(p.t);
          const inCell = rows.filter((r) => r.source === s.group && r.timestamp >= t && r.timestamp < t + 3_600_000);
          const errors = inCell.filter(isError).length;
          const lat = inCell.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs]));
          const want =
            metric === 'errors'
              ? errors
              : metric === 'error_rate'
                ? errors / inCell.length
                : lat.reduce((a, b) => a + b, 0) / lat.length;
          expect(p.value).toBeCloseTo(want, 9);
        }
      }
    }
  });

  it('percentiles per 15 minutes are within 1% of the exact values, overall and by country', async () => {
    for (const [metric, q] of [
      ['latency_p50', 0.5],
      ['latency_p95', 0.95],
      ['latency_p99', 0.99],
    ] as const) {
      const overall = await get<Timeseries>(
        `/v1/metrics/timeseries?${qs({ metric, from: START, to: END, interval: '15m' })}`,
      );
      for (const p of overall.body.series[0]?.points ?? []) {
        const t = Date.parse(p.t);
        const lat = rows.flatMap((r) =>
          r.timestamp >= t && r.timestamp < t + 900_000 && r.latencyMs !== null ? [r.latencyMs] : [],
        );
        within1pct(p.value, exactQuantile(lat, q));
      }
      // 1m buckets of one source read the percentile the rollup trigger stored.
      const perMinute = await get<Timeseries>(
        `/v1/metrics/timeseries?${qs({ metric, from: START, to: START + 30 * 60_000, interval: '1m', source: 'openai' })}`,
      );
      expect(perMinute.body.series[0]?.points).toHaveLength(30);
      for (const p of perMinute.body.series[0]?.points ?? []) {
        const t = Date.parse(p.t);
        const lat = rows.flatMap((r) =>
          r.source === 'openai' && r.timestamp >= t && r.timestamp < t + 60_000 && r.latencyMs !== null
            ? [r.latencyMs]
            : [],
        );
        if (lat.length === 0) expect(p.value).toBeNull();
        else within1pct(p.value, exactQuantile(lat, q));
      }
      // groupBy country reads the full rollups' sketches (the per-source table has no country).
      const byCountry = await get<Timeseries>(
        `/v1/metrics/timeseries?${qs({ metric, from: START, to: END, interval: '1h', groupBy: 'country', source: 'twilio' })}`,
      );
      expect(byCountry.body.series.length).toBe(4);
      for (const s of byCountry.body.series) {
        for (const p of s.points) {
          const t = Date.parse(p.t);
          const lat = rows.flatMap((r) =>
            (r.country ?? '') === s.group &&
            r.source === 'twilio' &&
            r.timestamp >= t &&
            r.timestamp < t + 3_600_000 &&
            r.latencyMs !== null
              ? [r.latencyMs]
              : [],
          );
          within1pct(p.value, exactQuantile(lat, q));
        }
      }
    }
  });

  it('hourly and daily tenant buckets (read from the hourly rows) equal the raw events', async () => {
    const p95 = await get<Timeseries>(
      `/v1/metrics/timeseries?${qs({ metric: 'latency_p95', from: START, to: END, interval: '1h' })}`,
    );
    expect(p95.body.series[0]?.points).toHaveLength(3);
    for (const p of p95.body.series[0]?.points ?? []) {
      const t = Date.parse(p.t);
      const lat = rows.flatMap((r) =>
        r.timestamp >= t && r.timestamp < t + 3_600_000 && r.latencyMs !== null ? [r.latencyMs] : [],
      );
      within1pct(p.value, exactQuantile(lat, 0.95));
    }
    const day = await get<Timeseries>(
      `/v1/metrics/timeseries?${qs({ metric: 'count', from: START, to: END, interval: '1d' })}`,
    );
    expect(day.body.series[0]?.points).toEqual([
      { t: new Date(Date.UTC(2026, 10, 3)).toISOString(), value: rows.length },
    ]);
    const dayP99 = await get<Timeseries>(
      `/v1/metrics/timeseries?${qs({ metric: 'latency_p99', from: START, to: END, interval: '1d' })}`,
    );
    within1pct(
      dayP99.body.series[0]?.points[0]?.value ?? null,
      exactQuantile(
        rows.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])),
        0.99,
      ),
    );
  });

  it('groups the whole tenant by country and by status class (their own levels) exactly as the raw events', async () => {
    const groupOf = {
      country: (r: EventInsert) => r.country ?? '',
      status: (r: EventInsert) => (r.status === null ? 'none' : `${Math.floor(r.status / 100)}xx`),
    };
    for (const groupBy of ['country', 'status'] as const) {
      for (const [interval, ms] of [
        ['1m', 60_000],
        ['15m', 900_000],
        ['1h', 3_600_000],
        ['1d', 86_400_000],
      ] as const) {
        const inBucket = (r: EventInsert, t: number, g: string) =>
          groupOf[groupBy](r) === g && r.timestamp >= t && r.timestamp < t + ms;
        const counts = await get<Timeseries>(
          `/v1/metrics/timeseries?${qs({ metric: 'errors', from: START, to: END, interval, groupBy })}`,
        );
        expect(counts.status).toBe(200);
        const groups = new Set(rows.map((r) => groupOf[groupBy](r)));
        expect(new Set(counts.body.series.map((x) => x.group))).toEqual(groups);
        for (const series of counts.body.series) {
          for (const p of series.points) {
            const t = Date.parse(p.t);
            const want = rows.filter(
              (r) => inBucket(r, t, series.group ?? '') && (r.type === 'error' || (r.status ?? 0) >= 500),
            ).length;
            expect(p.value, `${groupBy} ${interval} ${series.group} ${p.t}`).toBe(want);
          }
        }
        if (interval === '1m') continue;
        const p95 = await get<Timeseries>(
          `/v1/metrics/timeseries?${qs({ metric: 'latency_p95', from: START, to: END, interval, groupBy })}`,
        );
        for (const series of p95.body.series) {
          for (const p of series.points) {
            const t = Date.parse(p.t);
            const lat = rows.flatMap((r) =>
              inBucket(r, t, series.group ?? '') && r.latencyMs !== null ? [r.latencyMs] : [],
            );
            if (lat.length === 0) expect(p.value).toBeNull();
            else within1pct(p.value, exactQuantile(lat, 0.95));
          }
        }
      }
    }
  });

  it('filters by endpoint and groups by status class', async () => {
    const { body } = await get<Timeseries>(
      `/v1/metrics/timeseries?${qs({ metric: 'count', from: START, to: END, interval: '1d', groupBy: 'status', endpoint: 'GET /v1/customers' })}`,
    );
    const want = (cls: string) =>
      rows.filter(
        (r) =>
          r.endpoint === 'GET /v1/customers' &&
          (r.status === null ? 'none' : `${Math.floor(r.status / 100)}xx`) === cls,
      ).length;
    expect(body.series.map((s) => s.group).sort()).toEqual(['2xx', '4xx', '5xx', 'none']);
    for (const s of body.series) expect(s.points[0]?.value).toBe(want(s.group ?? ''));
  });

  it('refuses too many points and bad input with a 400 problem, never a 500', async () => {
    const tooMany = await get<{ status: number; type: string }>(
      `/v1/metrics/timeseries?${qs({ metric: 'count', from: START - 30 * 86_400_000, to: END, interval: '1m' })}`,
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.res.headers.get('content-type')).toBe('application/problem+json');
    for (const bad of [
      { metric: 'latency_p42' },
      { interval: '2m' },
      { groupBy: 'city' },
      { from: 'yesterday' },
      { from: END, to: START },
    ]) {
      const res = await get<{ status: number }>(`/v1/metrics/timeseries?${qs(bad)}`);
      expect(res.status).toBe(400);
    }
  });
});

describe('GET /v1/metrics/summary', () => {
  it('equals the figures computed from the raw events', async () => {
    const { status, body } = await get<{
      count: number;
      errors: number;
      errorRate: number;
      latency: { p50: number; p95: number; p99: number; avg: number };
      topEndpoints: { source: string; endpoint: string | null; count: number; latencyP95: number | null }[];
      topErrors: { source: string; errors: number }[];
    }>(`/v1/metrics/summary?${qs({ from: new Date(START).toISOString(), to: new Date(END).toISOString() })}`);
    expect(status).toBe(200);
    expect(body.count).toBe(rows.length);
    expect(body.errors).toBe(rows.filter(isError).length);
    expect(body.errorRate).toBeCloseTo(rows.filter(isError).length / rows.length, 12);
    const lat = rows.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs]));
    within1pct(body.latency.p50, exactQuantile(lat, 0.5));
    within1pct(body.latency.p95, exactQuantile(lat, 0.95));
    within1pct(body.latency.p99, exactQuantile(lat, 0.99));
    expect(body.latency.avg).toBeCloseTo(lat.reduce((a, b) => a + b, 0) / lat.length, 6);
    const top = body.topEndpoints[0];
    expect(top).toBeDefined();
    expect(top?.count).toBe(rows.filter((r) => r.source === top?.source && r.endpoint === top?.endpoint).length);
    // Each endpoint's p95 comes from its own latencies, not the tenant's.
    for (const e of body.topEndpoints) {
      const own = rows.flatMap((r) =>
        r.source === e.source && r.endpoint === e.endpoint && r.latencyMs !== null ? [r.latencyMs] : [],
      );
      within1pct(e.latencyP95, exactQuantile(own, 0.95));
    }
    const counts = body.topEndpoints.map((e) => e.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(body.topErrors.reduce((a, e) => a + e.errors, 0)).toBeLessThanOrEqual(body.errors);
    expect(body.topErrors[0]?.errors).toBeGreaterThan(0);
  });

  it('combines whole hours and partial hours at the edges exactly', async () => {
    const from = START + 37 * 60_000;
    const to = END - 23 * 60_000;
    const { body } = await get<{ count: number; errors: number; latency: { p95: number } }>(
      `/v1/metrics/summary?${qs({ from, to })}`,
    );
    const inRange = rows.filter((r) => r.timestamp >= from && r.timestamp < to);
    expect(body.count).toBe(inRange.length);
    expect(body.errors).toBe(inRange.filter(isError).length);
    within1pct(
      body.latency.p95,
      exactQuantile(
        inRange.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])),
        0.95,
      ),
    );
  });

  it('is scoped to the credential: the other tenant sees only its own events', async () => {
    const { body } = await get<{ count: number }>(`/v1/metrics/summary?${qs({ from: START, to: END })}`, other.bearer);
    expect(body.count).toBe(500);
  });

  it('accepts an API key with the read scope and refuses one without it', async () => {
    const read = await createTestApiKey(tenant.tenantId, ['read']);
    const ok = await get<{ count: number }>(
      `/v1/metrics/summary?${qs({ from: START, to: END })}`,
      `Bearer ${read.key}`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.count).toBe(rows.length);
    const ingest = await createTestApiKey(tenant.tenantId, ['ingest']);
    const refused = await get(`/v1/metrics/summary?${qs({ from: START, to: END })}`, `Bearer ${ingest.key}`);
    expect(refused.status).toBe(403);
  });
});

describe('GET /v1/events', () => {
  it('pages through every event newest first with a keyset cursor, each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const filter = { source: 'stripe', status: '5xx', limit: 7 };
    do {
      const {
        status,
        body,
      }: { status: number; body: { data: { id: string; timestamp: string }[]; nextCursor: string | null } } = await get(
        `/v1/events?${qs({ ...filter, ...(cursor ? { cursor } : {}) })}`,
      );
      expect(status).toBe(200);
      seen.push(...body.data.map((e) => e.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    const want = rows
      .filter((r) => r.source === 'stripe' && (r.status ?? 0) >= 500 && (r.status ?? 0) < 600)
      .sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    expect(seen).toEqual(want);
    expect(pages).toBe(Math.ceil(want.length / 7));
  });

  it('filters by time, type, exact status and endpoint, and returns the stored fields', async () => {
    const from = START + 3_600_000;
    const to = from + 600_000;
    const { body } = await get<{ data: { id: string; timestamp: string; properties: unknown; status: number }[] }>(
      `/v1/events?${qs({ from: new Date(from).toISOString(), to, status: 429, limit: 1000 })}`,
    );
    const want = rows.filter((r) => r.timestamp >= from && r.timestamp < to && r.status === 429);
    expect(body.data.map((e) => e.id).sort()).toEqual(want.map((r) => r.id).sort());
    const first = body.data[0];
    const source = rows.find((r) => r.id === first?.id);
    expect(first?.timestamp).toBe(new Date(source?.timestamp ?? 0).toISOString());
    expect(first?.properties).toEqual(source?.properties);
    const errorsOnly = await get<{ data: { type: string }[] }>(`/v1/events?${qs({ type: 'error', limit: 1000 })}`);
    expect(errorsOnly.body.data.length).toBe(rows.filter((r) => r.type === 'error').length);
  });

  it('refuses a bad cursor, a limit above 1000 and a bad status with 400', async () => {
    for (const params of [{ cursor: 'garbage' }, { limit: 1001 }, { status: '9xx' }, { limit: 0 }]) {
      const res = await get<{ status: number }>(`/v1/events?${qs(params)}`);
      expect(res.status).toBe(400);
    }
  });

  it('never shows another tenant’s events', async () => {
    const { body } = await get<{ data: { id: string }[] }>(`/v1/events?limit=1000`, other.bearer);
    expect(body.data.every((e) => e.id.startsWith('o-'))).toBe(true);
  });
});

describe('GET /v1/metrics/prometheus', () => {
  it('renders cumulative counters, a seconds histogram and window gauges that a Prometheus parser reads', async () => {
    await env.TENANT_HUB.getByName(tenant.tenantId).ingest([
      liveEvent({ id: 'p-1', source: 'stripe', endpoint: 'POST /v1/charges', latencyMs: 100 }),
      liveEvent({ id: 'p-2', source: 'stripe', endpoint: 'POST /v1/charges', latencyMs: 300, status: 502 }),
      liveEvent({ id: 'p-3', source: 'we"ird\\src', latencyMs: 50 }),
    ]);
    const { status, body, res } = await get<string>('/v1/metrics/prometheus');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const families = parsePrometheusTextFormat(body);
    const events = families.find((f) => f.name === 'pulsestream_events_total');
    const errors = families.find((f) => f.name === 'pulsestream_errors_total');
    const latency = families.find((f) => f.name === 'pulsestream_request_duration_seconds');
    expect(events?.type).toBe('COUNTER');
    expect(latency?.type).toBe('HISTOGRAM');
    const charges = (m: { labels?: Record<string, string> }, cls: string) =>
      m.labels?.source === 'stripe' && m.labels?.endpoint === 'POST /v1/charges' && m.labels?.status_class === cls;
    expect(events?.metrics.find((m) => charges(m, '5xx'))?.value).toBe('1');
    expect(errors?.metrics.find((m) => charges(m, '5xx'))?.value).toBe('1');
    expect(errors?.metrics.find((m) => charges(m, '2xx'))?.value).toBe('0');
    expect(events?.metrics.find((m) => m.labels?.source === 'we"ird\\src')?.value).toBe('1');
    expect(body).toMatch(
      /^pulsestream_request_duration_seconds_bucket\{source="stripe",endpoint="POST \/v1\/charges",status_class="2xx",le="0\.1"\} 1$/m,
    );
    expect(body).toMatch(
      /^pulsestream_request_duration_seconds_sum\{source="stripe",endpoint="POST \/v1\/charges",status_class="5xx"\} 0\.3$/m,
    );
    const window = families.find((f) => f.name === 'pulsestream_window_events');
    expect(window?.type).toBe('GAUGE');
    expect(window?.metrics.find((m) => m.labels?.source === 'stripe')?.value).toBe('2');
    const p99 = families
      .find((f) => f.name === 'pulsestream_tenant_window_latency_seconds')
      ?.metrics.find((m) => m.labels?.percentile === 'p99')?.value;
    within1pct(Number(p99) * 1000, exactQuantile([100, 300, 50], 0.99));
    expect(body).not.toMatch(/_ms[{ ]/);

    // The counters are in the hub's storage: a restarted hub reads the same values, so no counter reset.
    const persisted = await runInDurableObject(env.TENANT_HUB.getByName(tenant.tenantId), (_hub, state) =>
      new HubCounters(state.storage.sql).snapshot(),
    );
    expect(persisted.counters.find((c) => c.source === 'stripe' && c.statusClass === '5xx')).toMatchObject({
      events: 1,
      errors: 1,
    });
    expect(persisted.counters.reduce((n, c) => n + c.events, 0)).toBe(3);

    const other5m = await get<string>('/v1/metrics/prometheus?window=5m', other.bearer);
    expect(other5m.body).not.toContain('stripe');
  });
});
