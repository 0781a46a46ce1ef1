// Ingest benchmark under `wrangler dev`: requests/s, events/s and p50/p99 latency for single-event requests and
// 100-event batches, next to a hello-world baseline measured in the same run against the same Worker.
//
//   npx tsx scripts/bench/ingest.ts                 # starts its own stack (npm run dev, free ports, temp data)
//   BENCH_URL=http://127.0.0.1:8787 BENCH_PG_URL=postgres://postgres:postgres@127.0.0.1:15432/postgres \
//     npx tsx scripts/bench/ingest.ts               # reuses a running stack
//
// Knobs: BENCH_SECONDS (15 per scenario, split over BENCH_ROUNDS=5 interleaved rounds), BENCH_CONCURRENCY (32),
// BENCH_WARMUP_SECONDS (2), BENCH_DATABASE_URL
// (a native PostgreSQL for the stack instead of the embedded PGlite, whose single WASM thread otherwise competes
// with the Worker for the machine's cores while the consumer writes).
//
// The baseline is the app's own not-found answer (GET /v1/bench-baseline): it runs through the same Hono app and
// middleware (request id, logger, per-request services, one log line, a JSON body) and does no work, which is
// what "hello world" means for this Worker, without adding a route to production.
import http from 'node:http';
import { createTenant, startStack } from '../lib/dev-stack';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

interface Scenario {
  name: string;
  eventsPerRequest: number;
  expectStatus: number;
  request: () => { url: string; init: BenchRequest };
}

interface BenchRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

// The load generator shares the machine's cores with the stack it measures, so it must be cheap and cost the
// same for every scenario: node:http on keep-alive sockets costs about 0.2 ms of CPU per request for a GET and a
// POST alike, where fetch (undici) cost 0.5 ms per GET and 1.0-1.2 ms per POST, a handicap that only the POST
// scenarios paid.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function send(url: string, init: BenchRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: init.method ?? 'GET',
        agent,
        headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
}

function event(i: number): Record<string, unknown> {
  return {
    source: i % 3 === 0 ? 'stripe' : i % 3 === 1 ? 'openai' : 'twilio',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: i % 50 === 0 ? 502 : 200,
    latencyMs: 20 + (i % 400),
    properties: { region: 'eu-west-1', attempt: 1, customer: `cus_${i % 1000}` },
  };
}

interface Samples {
  latencies: number[];
  errors: number;
  seconds: number;
}

async function run(s: Scenario, durationSeconds: number): Promise<Samples> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError = '';
  const deadline = performance.now() + durationSeconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const { url, init } = s.request();
        const t0 = performance.now();
        try {
          const status = await send(url, init);
          if (status !== s.expectStatus) {
            errors++;
            firstError ||= `status ${status}`;
            continue;
          }
        } catch (err) {
          errors++;
          firstError ||= (err as Error).message;
          continue;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (errors > 0) console.error(`[bench] ${s.name}: ${errors} errors, first: ${firstError}`);
  return { latencies, errors, seconds: elapsed };
}

/** Pools the rounds of one scenario: throughput over the summed time, percentiles over all samples. */
function summarize(s: Scenario, rounds: Samples[]): Result {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = rounds.reduce((t, r) => t + r.seconds, 0);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    name: s.name,
    requests: latencies.length,
    errors: rounds.reduce((e, r) => e + r.errors, 0),
    rps: latencies.length / elapsed,
    eventsPerSec: (latencies.length * s.eventsPerRequest) / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
  };
}

const stack = await startStack();
let exitCode = 0;
try {
  const { key } = await createTenant(stack.pgUrl);
  const single = JSON.stringify(event(1));
  const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => event(i)) });
  const post = (body: string) => () => ({
    url: `${stack.base}/v1/events`,
    init: { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body },
  });
  const scenarios: Scenario[] = [
    {
      name: 'hello-world baseline (GET, app not-found answer)',
      eventsPerRequest: 0,
      expectStatus: 404,
      request: () => ({ url: `${stack.base}/v1/bench-baseline`, init: {} }),
    },
    { name: 'POST /v1/events, 1 event', eventsPerRequest: 1, expectStatus: 202, request: post(single) },
    { name: 'POST /v1/events, 100 events', eventsPerRequest: 100, expectStatus: 202, request: post(batch) },
  ];
  // Rounds interleave the scenarios, so background load on a shared machine falls on all of them alike.
  for (const s of scenarios) await run(s, warmupSeconds);
  const samples = scenarios.map((): Samples[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, s] of scenarios.entries()) samples[i]?.push(await run(s, seconds / rounds));
  }
  const results = scenarios.map((s, i) => summarize(s, samples[i] ?? []));
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const db = process.env.BENCH_DATABASE_URL ? 'native PostgreSQL' : 'embedded PGlite';
  console.log(
    `\nwrangler dev (${db}), ${concurrency} concurrent connections, ${seconds} s per scenario in ${rounds} interleaved rounds (after ${warmupSeconds} s warm-up)\n`,
  );
  console.log('| scenario | requests/s | events/s | p50 ms | p99 ms | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${fmt(r.rps)} | ${r.eventsPerSec ? fmt(r.eventsPerSec) : '–'} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} |`,
    );
  }
  const [baseline, one, hundred] = results;
  if (baseline && one && hundred) {
    const ratio = one.rps / baseline.rps;
    console.log(`\nsingle-event requests/s = ${fmt(ratio * 100, 1)}% of the baseline (target ≥ 70%)`);
    console.log(`100-event batches: ${fmt(hundred.eventsPerSec)} accepted events/s (target ≥ 30,000)`);
  }
} catch (err) {
  console.error(`[bench] failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
