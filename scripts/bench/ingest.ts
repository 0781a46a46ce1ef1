// Ingest benchmark under `wrangler dev`: requests/s, events/s and p50/p99 latency for single-event requests and
// 100-event batches, next to two baselines measured in the same run: a bare hello-world Worker (no app, no
// middleware; scripts/bench/hello-worker) under its own `wrangler dev`, and the app's own not-found answer.
//
//   npx tsx scripts/bench/ingest.ts                 # starts its own stack (npm run dev, free ports, temp data)
//   BENCH_URL=http://127.0.0.1:8787 BENCH_PG_URL=postgres://postgres:postgres@127.0.0.1:15432/postgres \
//     npx tsx scripts/bench/ingest.ts               # reuses a running stack (BENCH_STACK_PGID: its process group)
//
// Knobs: BENCH_SECONDS (15 per scenario, split over BENCH_ROUNDS=5 interleaved rounds), BENCH_CONCURRENCY (32),
// BENCH_WARMUP_SECONDS (2), BENCH_DRAIN_SECONDS (120, the bound on waiting for the pipeline), BENCH_DATABASE_URL
// (a native PostgreSQL for the stack instead of the embedded PGlite, whose single WASM thread otherwise competes
// with the Worker for the machine's cores while the consumer writes), BENCH_HELLO_URL (a running hello Worker).
//
// Before every round the pipeline drains: the round waits until every event accepted so far is stored (a count
// in PostgreSQL, bounded by BENCH_DRAIN_SECONDS), so no round, baseline or ingest, pays for the consumer still
// writing an earlier round's events. The drain time after the ingest rounds is reported, and "sustained" events/s
// count it. The CPU each process used per request comes from /proc: the Worker's own workerd, the workerd running
// wrangler's dev proxy, and wrangler's Node process.
import http from 'node:http';
import { loadavg } from 'node:os';
import pg from 'pg';
import { createTenant, type Stack, startHelloWorker, startStack } from '../lib/dev-stack';
import { cpuByRole, type ProcInfo, processesOfGroup } from '../lib/proc-cpu';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const drainSeconds = Number(process.env.BENCH_DRAIN_SECONDS ?? 120);

interface Scenario {
  name: string;
  /** Which stack answers: its processes are the ones whose CPU is counted. */
  stack: 'app' | 'hello';
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
  /** CPU milliseconds per request, per process role. */
  cpuPerRequest: Map<string, number>;
  /** Seconds the pipeline took to drain after this scenario's rounds (summed). */
  drain: number;
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
  /** CPU seconds per process role during the round. */
  cpu: Map<string, number>;
  /** Seconds the pipeline took to drain after the round. */
  drain: number;
}

async function run(s: Scenario, durationSeconds: number, procs: ProcInfo[]): Promise<Samples> {
  const cpuBefore = cpuByRole(procs);
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
  const cpu = new Map([...cpuByRole(procs)].map(([role, t]) => [role, t - (cpuBefore.get(role) ?? 0)]));
  if (errors > 0) console.error(`[bench] ${s.name}: ${errors} errors, first: ${firstError}`);
  return { latencies, errors, seconds: elapsed, cpu, drain: 0 };
}

/** Pools the rounds of one scenario: throughput over the summed time, percentiles over all samples. */
function summarize(s: Scenario, rounds: Samples[]): Result {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = rounds.reduce((t, r) => t + r.seconds, 0);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  const cpuPerRequest = new Map<string, number>();
  for (const r of rounds) {
    for (const [role, t] of r.cpu) cpuPerRequest.set(role, (cpuPerRequest.get(role) ?? 0) + t);
  }
  for (const [role, t] of cpuPerRequest) cpuPerRequest.set(role, (t * 1000) / Math.max(1, latencies.length));
  return {
    name: s.name,
    requests: latencies.length,
    cpuPerRequest,
    drain: rounds.reduce((t, r) => t + r.drain, 0),
    errors: rounds.reduce((e, r) => e + r.errors, 0),
    rps: latencies.length / elapsed,
    eventsPerSec: (latencies.length * s.eventsPerRequest) / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
  };
}

/** Waits until every accepted event is stored, bounded: the pipeline is idle when the round starts. */
async function drain(client: pg.Client, tenantId: string, accepted: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM events WHERE tenant_id = $1', [
      tenantId,
    ]);
    if (Number(r.rows[0]?.n) >= accepted) return (performance.now() - started) / 1000;
    if (performance.now() - started > drainSeconds * 1000) {
      throw new Error(`the pipeline did not drain within ${drainSeconds} s (${r.rows[0]?.n} of ${accepted} stored)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const started: Stack[] = [];
let exitCode = 0;
try {
  const loadAtStart = load();
  const stack = await startStack();
  started.push(stack);
  const hello = await startHelloWorker();
  started.push(hello);
  const procs = {
    app: stack.pgid ? processesOfGroup(stack.pgid) : [],
    hello: hello.pgid ? processesOfGroup(hello.pgid) : [],
  };
  const { key, tenantId } = await createTenant(stack.pgUrl);
  const db = new pg.Client({ connectionString: stack.pgUrl });
  await db.connect();
  const single = JSON.stringify(event(1));
  const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => event(i)) });
  const post = (body: string) => () => ({
    url: `${stack.base}/v1/events`,
    init: { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body },
  });
  const scenarios: Scenario[] = [
    {
      name: 'hello-world Worker (GET, bare Worker, own wrangler dev)',
      stack: 'hello',
      eventsPerRequest: 0,
      expectStatus: 200,
      request: () => ({ url: `${hello.base}/`, init: {} }),
    },
    {
      name: 'app not-found answer (GET /v1/bench-baseline)',
      stack: 'app',
      eventsPerRequest: 0,
      expectStatus: 404,
      request: () => ({ url: `${stack.base}/v1/bench-baseline`, init: {} }),
    },
    { name: 'POST /v1/events, 1 event', stack: 'app', eventsPerRequest: 1, expectStatus: 202, request: post(single) },
    {
      name: 'POST /v1/events, 100 events',
      stack: 'app',
      eventsPerRequest: 100,
      expectStatus: 202,
      request: post(batch),
    },
  ];
  let accepted = 0;
  const round = async (s: Scenario, duration: number): Promise<Samples> => {
    const r = await run(s, duration, procs[s.stack]);
    accepted += r.latencies.length * s.eventsPerRequest;
    // Drained before the next round starts, whatever it measures; the time is this round's.
    r.drain = s.eventsPerRequest > 0 ? await drain(db, tenantId, accepted) : 0;
    return r;
  };
  // Rounds interleave the scenarios, so background load on a shared machine falls on all of them alike.
  for (const s of scenarios) await round(s, warmupSeconds);
  const samples = scenarios.map((): Samples[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of scenarios.entries()) samples[i]?.push(await round(s, seconds / rounds));
  }
  await db.end();
  const results = scenarios.map((s, i) => summarize(s, samples[i] ?? []));
  const dbName = process.env.BENCH_DATABASE_URL ? 'native PostgreSQL' : 'embedded PGlite';
  console.log(
    `\nwrangler dev (${dbName}), ${concurrency} concurrent connections, ${seconds} s per scenario in ${rounds} interleaved rounds (after ${warmupSeconds} s warm-up), pipeline drained before every round`,
  );
  console.log(`load average (1, 5, 15 min): ${loadAtStart} at start, ${load()} at end\n`);
  const roles = ['workerd (worker)', 'workerd (proxy)', 'node'];
  console.log(
    `| scenario | requests/s | events/s | sustained events/s | p50 ms | p99 ms | errors | CPU ms/request: ${roles.join(' / ')} |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [i, r] of results.entries()) {
    const measured = (samples[i] ?? []).reduce((t, x) => t + x.seconds, 0);
    const sustained = r.eventsPerSec ? (r.eventsPerSec * measured) / (measured + r.drain) : 0;
    const cpu = roles.map((role) => {
      const v = r.cpuPerRequest.get(role);
      return v === undefined ? '–' : fmt(v, 2);
    });
    console.log(
      `| ${r.name} | ${fmt(r.rps)} | ${r.eventsPerSec ? fmt(r.eventsPerSec) : '–'} | ${sustained ? fmt(sustained) : '–'} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${cpu.join(' / ')} |`,
    );
  }
  const [helloWorld, notFound, one, hundred] = results;
  if (helloWorld && notFound && one && hundred) {
    console.log(
      `\nsingle-event requests/s = ${fmt((one.rps / helloWorld.rps) * 100, 1)}% of the hello-world Worker (target ≥ 70%), ${fmt((one.rps / notFound.rps) * 100, 1)}% of the app's not-found answer`,
    );
    console.log(`app not-found answer = ${fmt((notFound.rps / helloWorld.rps) * 100, 1)}% of the hello-world Worker`);
    console.log(`100-event batches: ${fmt(hundred.eventsPerSec)} accepted events/s (target ≥ 30,000)`);
  }
} catch (err) {
  console.error(`[bench] failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  for (const s of started.reverse()) await s.stop();
}
process.exit(exitCode);
