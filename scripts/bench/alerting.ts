/**
 * Alerting benchmark against a running stack (`npm run dev`: wrangler dev with local Durable Objects and Queues,
 * ENVIRONMENT=development so a http://127.0.0.1 webhook receiver is allowed).
 *
 * 1. Detection latency: for each of `--trials` fresh rules (`error_rate > 0.2`, window 1m, `for` = `--for`), traffic
 *    with 50% errors starts (one request of 10 events a second) and a local receiver waits for the signed webhook.
 *    Reports (arrival − first bad event − for): the pipeline (queue batching, Postgres write, hub evaluation,
 *    outbox, notifications queue, delivery) on top of the rule's own `for`.
 * 2. Ingest with rules: the same paced ingest load (`--requests` requests of 10 events at 80 requests/s, under the
 *    default plan's rate limit, `--concurrency` in flight) against a tenant with no rules and a tenant with `--rules`
 *    enabled rules, interleaved in rounds; p50/p95 of the 202 for each, and the hub's evaluation cost (part 3).
 * 3. Hub evaluation cost (in this process, the same core code the hub runs): one evaluation of `--rules` rules over
 *    their sliding windows after a batch of 100 events.
 *
 *   tsx scripts/bench/alerting.ts [--url http://127.0.0.1:8787] [--trials 10] [--for 10s] [--rules 500]
 *                                 [--requests 400] [--concurrency 8] [--rounds 4]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { checkCondition, initialAlertState, stepAlert } from '../../packages/core/src/alerting/evaluate';
import { parseDuration } from '../../packages/core/src/alerting/rule';
import { AlertSeries } from '../../packages/core/src/alerting/series';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8787' },
    trials: { type: 'string', default: '10' },
    for: { type: 'string', default: '10s' },
    rules: { type: 'string', default: '500' },
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '4' },
    skip: { type: 'string', default: '' },
  },
});
const base = args.url.replace(/\/$/, '');
const skip = new Set(args.skip.split(',').filter(Boolean));
const pct = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
};
const fmt = (x: number) => x.toFixed(1);

async function request<T>(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function newTenant(label: string) {
  const suffix = Math.random().toString(36).slice(2, 10);
  const signup = await request<{ accessToken: string }>('POST', '/v1/auth/signup', {
    tenantName: `${label} ${suffix}`,
    email: `${label}-${suffix}@example.test`,
    password: `pw-${suffix}-${suffix}`,
  });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
  const auth = { authorization: `Bearer ${signup.body.accessToken}` };
  const key = await request<{ key: string }>('POST', '/v1/api-keys', { name: 'bench', scopes: ['ingest'] }, auth);
  if (key.status !== 201) throw new Error(`api key: ${key.status}`);
  return { auth, key: key.body.key };
}

function events(source: string, n: number, errorShare: number) {
  return Array.from({ length: n }, (_, i) => ({
    source,
    endpoint: `GET /e${i % 5}`,
    status: i < Math.round(n * errorShare) ? 500 : 200,
    latencyMs: 20 + (i % 50),
  }));
}

async function detection(): Promise<void> {
  const arrivals = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      try {
        const parsed = JSON.parse(body) as { type: string; data: { ruleId?: string } };
        if (parsed.type === 'alert.firing' && parsed.data.ruleId && !arrivals.has(parsed.data.ruleId)) {
          arrivals.set(parsed.data.ruleId, Date.now());
        }
      } catch {
        // not ours
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t = await newTenant('bench-alert');
  const channel = await request<{ id: string }>(
    'POST',
    '/v1/channels',
    { type: 'webhook', name: 'bench', config: { url: `http://127.0.0.1:${port}/hook` } },
    t.auth,
  );
  if (channel.status !== 201) throw new Error(`channel: ${channel.status} ${JSON.stringify(channel.body)}`);
  const forMs = parseDuration(args.for) ?? 10_000;
  const beyond: number[] = [];
  for (let trial = 0; trial < Number(args.trials); trial++) {
    const source = `bench-${trial}-${Math.random().toString(36).slice(2, 6)}`;
    const rule = await request<{ id: string }>(
      'POST',
      '/v1/alert-rules',
      {
        name: `latency ${trial}`,
        metric: 'error_rate',
        filter: { source },
        window: '1m',
        condition: { op: '>', threshold: 0.2 },
        for: args.for,
        severity: 'critical',
        channelIds: [channel.body.id],
      },
      t.auth,
    );
    if (rule.status !== 201) throw new Error(`rule: ${rule.status} ${JSON.stringify(rule.body)}`);
    const first = Date.now();
    const deadline = first + forMs + 60_000;
    while (!arrivals.has(rule.body.id) && Date.now() < deadline) {
      const sent = Date.now();
      const res = await request('POST', '/v1/events', { events: events(source, 10, 0.5) }, { 'x-api-key': t.key });
      if (res.status !== 202) throw new Error(`ingest: ${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - sent))));
    }
    const arrived = arrivals.get(rule.body.id);
    if (arrived === undefined) {
      console.log(`trial ${trial}: no webhook within ${forMs + 60_000} ms`);
      continue;
    }
    beyond.push(arrived - first - forMs);
    console.log(
      `trial ${trial}: webhook ${arrived - first} ms after the first bad event (${arrived - first - forMs} ms beyond for)`,
    );
    await request('DELETE', `/v1/alert-rules/${rule.body.id}`, undefined, t.auth);
  }
  server.close();
  console.log(
    `detection: for=${args.for}, ${beyond.length}/${args.trials} trials; beyond for: p50 ${fmt(pct(beyond, 0.5))} ms, p95 ${fmt(pct(beyond, 0.95))} ms, max ${fmt(Math.max(...beyond))} ms`,
  );
}

/** Offered load: 80 requests/s of 10 events (800 events/s, under the default plan's 1,000/s). */
const EVENTS_PER_REQUEST = 10;
const REQUESTS_PER_SEC = 80;

async function ingestLoad(key: string, requests: number, concurrency: number, source: string) {
  const latencies: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const t0 = performance.now();
        const res = await request(
          'POST',
          '/v1/events',
          { events: events(source, EVENTS_PER_REQUEST, 0.05) },
          { 'x-api-key': key },
        );
        if (res.status !== 202) throw new Error(`ingest: ${res.status} ${JSON.stringify(res.body)}`);
        const took = performance.now() - t0;
        latencies.push(took);
        // Paced under a signed-up tenant's rate limit (1,000 events/s), so both tenants see the same offered load.
        await new Promise((r) => setTimeout(r, Math.max(0, (concurrency * 1000) / REQUESTS_PER_SEC - took)));
      }
    }),
  );
  return { latencies, seconds: (Date.now() - started) / 1000 };
}

async function ingestWithRules(): Promise<void> {
  const none = await newTenant('bench-norules');
  const many = await newTenant('bench-rules');
  const ruleCount = Number(args.rules);
  for (let i = 0; i < ruleCount; i++) {
    const kind = i % 4;
    const res = await request(
      'POST',
      '/v1/alert-rules',
      {
        name: `rule ${i}`,
        metric: kind === 3 ? 'count' : kind === 2 ? 'latency_p95' : 'error_rate',
        filter: { source: `src-${i % 50}`, ...(i % 5 === 0 ? { endpoint: 'GET /e1' } : {}) },
        window: ['1m', '5m', '15m', '1h'][i % 4],
        condition: kind === 3 ? { absent: true } : { op: '>', threshold: kind === 2 ? 5000 : 0.9 },
        for: '1m',
        severity: 'info',
      },
      many.auth,
    );
    if (res.status !== 201) throw new Error(`rule ${i}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  console.log(`created ${ruleCount} rules`);
  const per = Math.floor(Number(args.requests) / Number(args.rounds));
  const results = { none: [] as number[], many: [] as number[], noneSec: 0, manySec: 0 };
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const which of ['none', 'many'] as const) {
      const t = which === 'none' ? none : many;
      const r = await ingestLoad(t.key, per, Number(args.concurrency), `src-${round % 50}`);
      results[which].push(...r.latencies);
      results[which === 'none' ? 'noneSec' : 'manySec'] += r.seconds;
    }
  }
  for (const which of ['none', 'many'] as const) {
    const lat = results[which];
    const sec = which === 'none' ? results.noneSec : results.manySec;
    console.log(
      `ingest, ${which === 'none' ? 'no rules' : `${ruleCount} rules`}: ${lat.length} requests of ${EVENTS_PER_REQUEST} events offered at ${REQUESTS_PER_SEC}/s (achieved ${fmt(lat.length / sec)}/s), p50 ${fmt(pct(lat, 0.5))} ms, p95 ${fmt(pct(lat, 0.95))} ms`,
    );
  }
}

function evaluationCost(): void {
  const ruleCount = Number(args.rules);
  const series = Array.from({ length: 60 }, () => new AlertSeries());
  const now = Date.now();
  for (let m = 60; m >= 0; m--) {
    for (const s of series)
      for (let i = 0; i < 100; i++)
        s.add({ timestamp: now - m * 60_000, status: i % 10 === 0 ? 500 : 200, latencyMs: i }, now);
  }
  const windows = [1, 5, 15, 60];
  const states = Array.from({ length: ruleCount }, () => initialAlertState());
  const times: number[] = [];
  for (let round = 0; round < 20; round++) {
    const t0 = performance.now();
    const cache = new Map<string, ReturnType<AlertSeries['sliding']>>();
    for (let i = 0; i < ruleCount; i++) {
      const key = `${i % 60}|${windows[i % 4]}|${i % 4 === 2}`;
      let stats = cache.get(key);
      if (!stats) {
        // As in the hub: only latency rules (here one in four) merge the sketches.
        stats = (series[i % 60] as AlertSeries).sliding(now, windows[i % 4] as number, i % 4 === 2);
        cache.set(key, stats);
      }
      const obs = checkCondition(
        { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, recoverBelow: null },
        stats,
      );
      states[i] = stepAlert(states[i] ?? initialAlertState(), obs, now, 60_000, () => 'x').state;
    }
    times.push(performance.now() - t0);
  }
  console.log(
    `hub evaluation of ${ruleCount} rules over 60 filters × 4 windows (full hour of data): p50 ${fmt(pct(times, 0.5))} ms, max ${fmt(Math.max(...times))} ms`,
  );
}

async function main(): Promise<void> {
  if (!skip.has('eval')) evaluationCost();
  if (!skip.has('detection')) await detection();
  if (!skip.has('ingest')) await ingestWithRules();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
