/**
 * Query benchmark: a 24 h timeseries at 1m (count and p95) and a 24 h summary over a tenant with 10 million
 * events, on a real PostgreSQL (15 in the recorded run). The queries run exactly as the Worker runs them:
 * the data-layer functions over the Neon serverless driver through the local WebSocket proxy, plus the same
 * post-processing (zero-fill, sketch merge), so the figure is what a request pays minus auth and HTTP.
 *
 *   tsx scripts/bench/query.ts --db postgres://postgres@127.0.0.1:25432/postgres [--setup] [--events 10000000] [--runs 40]
 *
 * --setup generates the data set-based with generate_series straight into events, event_rollups_1m and
 * event_rollups_agg_1m (the full rollups as insertEvents writes them, in bulk, and every level from those by
 * rebuildRollupLevels); without it the existing data is reused.
 */
import { parseArgs } from 'node:util';
import { neonConfig } from '@neondatabase/serverless';
import { sketchFromBuckets } from '@pulsestream/core/sketch-buckets';
import { fillSeries } from '@pulsestream/core/timeseries-fill';
import {
  openDb,
  querySummary,
  queryTimeseries,
  rebuildRollupLevels,
  type TimeseriesGroupBy,
  type TimeseriesInterval,
  type TimeseriesMetric,
} from '@pulsestream/db';
import pg from 'pg';
import { WebSocket } from 'ws';
import { migrateUrl } from '../lib/migrations';
import { findFreePort } from '../lib/ports';
import { startWsProxy } from '../lib/ws-proxy';

const TENANT = '0b0b0b0b-0000-4000-8000-00000000be4c';
const DAY_START = Date.UTC(2026, 9, 1);
const DAY_MS = 86_400_000;

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres' },
    setup: { type: 'boolean', default: false },
    events: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '40' },
    verify: { type: 'boolean', default: false },
  },
});

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

async function setup(url: string, events: number): Promise<void> {
  const migrated = await migrateUrl(url);
  console.log(`migrations applied: ${migrated.applied.join(', ') || 'none'}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = Date.now();
    await client.query('DELETE FROM events WHERE tenant_id = $1', [TENANT]);
    await client.query('DELETE FROM event_rollups_1m WHERE tenant_id = $1', [TENANT]);
    await client.query('DELETE FROM event_rollups_agg_1m WHERE tenant_id = $1', [TENANT]);
    await client.query(
      "INSERT INTO tenants (id, name, slug) VALUES ($1, 'bench', 'bench-query') ON CONFLICT DO NOTHING",
      [TENANT],
    );
    await client.query('SELECT setseed(0.42)');
    const chunk = 1_000_000;
    for (let first = 0; first < events; first += chunk) {
      const last = Math.min(events, first + chunk) - 1;
      // 4 sources × 5 endpoints, 6 countries, ~3% 5xx and ~4% 4xx, log-normal-ish latencies 20 ms – 1 s with
      // a tail, evenly spread over the day.
      await client.query(
        `INSERT INTO events (tenant_id, id, ts, received_at, type, source, endpoint, method, status, latency_ms,
                             country, properties)
         SELECT $1::uuid, 'bench-' || g,
                to_timestamp(($2::float8 + g * ($3::float8 / $4::float8)) / 1000),
                to_timestamp(($2::float8 + g * ($3::float8 / $4::float8)) / 1000 + 0.02),
                CASE WHEN r1 < 0.01 THEN 'error' ELSE 'api_call' END,
                (ARRAY['stripe','twilio','openai','internal'])[1 + g % 4],
                (ARRAY['POST /v1/charges','GET /v1/customers','POST /v1/messages','POST /v1/chat','GET /health'])[1 + (g / 4) % 5],
                'POST',
                CASE WHEN r2 < 0.03 THEN 503 WHEN r2 < 0.07 THEN 429 ELSE 200 END,
                round((exp(3 + r3 * 3.5) + CASE WHEN r1 > 0.995 THEN 2000 * r2 ELSE 0 END)::numeric, 1)::float8,
                (ARRAY['US','DE','FR','GB','IN','BR'])[1 + floor(r4 * 6)::int],
                NULL
         FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4
               FROM generate_series($5::bigint, $6::bigint) AS g) s`,
        [TENANT, DAY_START, DAY_MS, events, first, last],
      );
      process.stdout.write(`\revents: ${last + 1}/${events} (${Math.round((Date.now() - t0) / 1000)} s)`);
    }
    process.stdout.write('\n');
    await client.query('SET work_mem = "512MB"');
    await client.query(
      `INSERT INTO event_rollups_1m (tenant_id, minute, source, endpoint, status_class, country, count, errors,
                                     latency_count, latency_sum, latency_min, latency_max, latency_sketch)
       SELECT tenant_id, minute, source, endpoint, status_class, country, sum(n), sum(errors), sum(lc), sum(ls),
              min(mn), max(mx), coalesce(jsonb_object_agg(k, lc) FILTER (WHERE k IS NOT NULL), '{}'::jsonb)
       FROM (
         SELECT tenant_id, date_trunc('minute', ts) AS minute, source, coalesce(endpoint, '') AS endpoint,
                coalesce(status / 100, 0)::smallint AS status_class, coalesce(country, '') AS country,
                CASE WHEN latency_ms >= 0 THEN ps_sketch_key(latency_ms) END AS k, count(*) AS n,
                count(*) FILTER (WHERE type = 'error' OR status >= 500) AS errors, count(latency_ms) AS lc,
                coalesce(sum(latency_ms), 0) AS ls, min(latency_ms) AS mn, max(latency_ms) AS mx
         FROM events WHERE tenant_id = $1
         GROUP BY 1, 2, 3, 4, 5, 6, 7
       ) b
       GROUP BY 1, 2, 3, 4, 5, 6`,
      [TENANT],
    );
    console.log(`rollups done (${Math.round((Date.now() - t0) / 1000)} s)`);
    // Every level of event_rollups_agg_1m, from the full rollups: the same rows insertEvents writes.
    neonConfig.webSocketConstructor = WebSocket;
    const levelsProxyPort = await findFreePort();
    const proxy = await startWsProxy({ port: levelsProxyPort });
    const handle = openDb({ databaseUrl: url, wsProxy: `127.0.0.1:${levelsProxyPort}` });
    try {
      await rebuildRollupLevels(handle.db, { tenantId: TENANT });
    } finally {
      await handle.close();
      await proxy.close();
    }
    await client.query('VACUUM ANALYZE events');
    await client.query('VACUUM ANALYZE event_rollups_1m');
    await client.query('VACUUM ANALYZE event_rollups_agg_1m');
    console.log(`setup done in ${Math.round((Date.now() - t0) / 1000)} s`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const events = Number(args.events);
  const runs = Number(args.runs);
  if (args.setup) await setup(args.db, events);

  const check = new pg.Client({ connectionString: args.db });
  await check.connect();
  const facts = await check.query<{ version: string; events: string; rollups: string; latency: string }>(
    `SELECT version(), (SELECT count(*) FROM events WHERE tenant_id = $1)::text AS events,
            (SELECT count(*) FROM event_rollups_1m WHERE tenant_id = $1)::text AS rollups,
            (SELECT count(*) FROM event_rollups_agg_1m WHERE tenant_id = $1)::text AS latency`,
    [TENANT],
  );
  await check.end();
  const f = facts.rows[0];
  console.log(
    `${f?.version.split(' on ')[0]}; tenant events ${f?.events}, rollup rows ${f?.rollups}, aggregate-level rows ${f?.latency}`,
  );

  neonConfig.webSocketConstructor = WebSocket;
  const proxyPort = await findFreePort();
  const proxy = await startWsProxy({ port: proxyPort });
  const handle = openDb({ databaseUrl: args.db, wsProxy: `127.0.0.1:${proxyPort}` });
  const from = new Date(DAY_START);
  const to = new Date(DAY_START + DAY_MS);

  const timeseries = (metric: TimeseriesMetric) => async () => {
    const cells = await queryTimeseries(handle.db, { tenantId: TENANT, from, to, interval: '1m', metric });
    const series = fillSeries(cells, {
      metric,
      fromMs: from.getTime(),
      toMs: to.getTime(),
      intervalMs: 60_000,
      grouped: false,
      maxGroups: 20,
    });
    return series[0]?.points.length ?? 0;
  };
  const summary = async (rangeFrom: Date, rangeTo: Date) => {
    const s = await querySummary(handle.db, { tenantId: TENANT, from: rangeFrom, to: rangeTo });
    const sketch = sketchFromBuckets(s.latencyBuckets, { sum: s.latencySum, min: s.latencyMin, max: s.latencyMax });
    return [s.count, sketch.quantile(0.5), sketch.quantile(0.95), sketch.quantile(0.99)];
  };
  const series = (interval: TimeseriesInterval, metric: TimeseriesMetric, groupBy?: TimeseriesGroupBy) => async () =>
    queryTimeseries(handle.db, { tenantId: TENANT, from, to, interval, metric, groupBy });
  const cases: [string, () => Promise<unknown>][] = [
    ['timeseries 24h @1m count', timeseries('count')],
    ['timeseries 24h @1m latency_p95', timeseries('latency_p95')],
    ['timeseries 24h @1m error_rate by source', series('1m', 'error_rate', 'source')],
    ['timeseries 24h @1h latency_p95', series('1h', 'latency_p95')],
    ['timeseries 24h @15m latency_p95 (sketch merge)', series('15m', 'latency_p95')],
    ['timeseries 24h @1h p95 by country (country level)', series('1h', 'latency_p95', 'country')],
    ['timeseries 24h @1m p95 by country (country level, precomputed)', series('1m', 'latency_p95', 'country')],
    ['timeseries 24h @1h count by status class', series('1h', 'count', 'status')],
    ['summary 24h', () => summary(from, to)],
    [
      'summary 23h30 (partial hours at both ends)',
      () => summary(new Date(from.getTime() + 17 * 60_000), new Date(to.getTime() - 13 * 60_000)),
    ],
  ];
  try {
    if (args.verify) {
      // The exact figures from the raw rows, to compare with the summary line below.
      const exact = new pg.Client({ connectionString: args.db });
      await exact.connect();
      const t = performance.now();
      const r = await exact.query(
        `SELECT count(*)::int AS n, percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS p
         FROM events WHERE tenant_id = $1 AND ts >= $2 AND ts < $3`,
        [TENANT, from.toISOString(), to.toISOString()],
      );
      await exact.end();
      console.log(
        `raw events (percentile_disc, ${Math.round(performance.now() - t)} ms): ${JSON.stringify(r.rows[0])}`,
      );
    }
    for (const [name, run] of cases) {
      for (let i = 0; i < 3; i++) await run(); // warm the pool and the buffer cache
      const times: number[] = [];
      let last: unknown;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        last = await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const fmt = (x: number) => x.toFixed(1);
      console.log(
        `${name.padEnd(46)} runs ${runs}  p50 ${fmt(percentile(times, 0.5))} ms  p95 ${fmt(percentile(times, 0.95))} ms  max ${fmt(times[times.length - 1] ?? 0)} ms  (${JSON.stringify(last).slice(0, 60)})`,
      );
    }
  } finally {
    await handle.close();
    await proxy.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
