// A CPU profile of the Worker's own isolate (workerd, not wrangler's proxy) while it serves one kind of request,
// taken through `wrangler dev`'s inspector port with the DevTools protocol (Profiler.start / Profiler.stop), and
// summarised as self time per function and per source module (from esbuild's `// path` comments in the bundle).
//
//   BENCH_URL=http://127.0.0.1:8787 BENCH_PG_URL=postgres://… BENCH_INSPECTOR_PORT=9229 \
//     npx tsx scripts/bench/profile-ingest.ts [single|batch|notfound]
//
// Knobs: BENCH_SECONDS (20), BENCH_CONCURRENCY (16), BENCH_TOP (30), BENCH_PROFILE_OUT (write the raw
// .cpuprofile there, for Chrome DevTools). The Worker's Durable Objects run in the same isolate under
// `wrangler dev`, so the TenantGate's share is in the profile too; the queue broker and wrangler's proxy are not.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createTenant } from '../lib/dev-stack';

const base = process.env.BENCH_URL ?? 'http://127.0.0.1:8787';
const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:15432/postgres';
const inspectorPort = Number(process.env.BENCH_INSPECTOR_PORT ?? 9229);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const top = Number(process.env.BENCH_TOP ?? 30);
const mode = process.argv[2] ?? 'single';
const root = join(import.meta.dirname, '..', '..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function inspector(url: string) {
  const ws = new WebSocket(url);
  let next = 1;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) {
      pending.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
      pending.delete(msg.id);
    }
  });
  return {
    ready: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve) => pending.set(id, resolve as (v: unknown) => void));
    },
    close: () => ws.close(),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function send(path: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, base);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        agent,
        headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The newest bundle wrangler dev built, to name the module of each profiled line. */
function bundleModules(): { line: number; module: string }[] {
  const tmp = join(root, '.wrangler', 'tmp');
  const dirs = readdirSync(tmp)
    .filter((d) => d.startsWith('dev-'))
    .map((d) => join(tmp, d, 'index.js'))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const file = dirs[0];
  if (!file) return [];
  const out: { line: number; module: string }[] = [];
  for (const [i, text] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (text.startsWith('// ') && /^\/\/ [\w@.-]+\/[\w@./-]+\.[cm]?[jt]sx?$/.test(text)) {
      out.push({ line: i, module: text.slice(3) });
    }
  }
  return out;
}

function moduleOf(modules: { line: number; module: string }[], line: number): string {
  let lo = 0;
  let hi = modules.length - 1;
  let found = '(runtime)';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = modules[mid];
    if (!m) break;
    if (m.line <= line) {
      found = m.module;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const event = {
  source: 'stripe',
  endpoint: 'POST /v1/charges',
  method: 'POST',
  status: 200,
  latencyMs: 42,
  properties: { region: 'eu-west-1', attempt: 1, customer: 'cus_1' },
};
const { key } = await createTenant(pgUrl);
const request =
  mode === 'notfound'
    ? () => send('/v1/bench-baseline', 'GET', {})
    : () =>
        send(
          '/v1/events',
          'POST',
          { 'content-type': 'application/json', 'x-api-key': key },
          JSON.stringify(mode === 'batch' ? { events: Array.from({ length: 100 }, () => event) } : event),
        );

const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
  webSocketDebuggerUrl: string;
}[];
const wsUrl = list[0]?.webSocketDebuggerUrl;
if (!wsUrl) throw new Error('no inspector target');
const ins = inspector(wsUrl);
await ins.ready;
// Warm up (JIT, key cache, gate) before sampling.
for (let i = 0; i < 200; i++) await request();
await ins.send('Profiler.enable');
await ins.send('Profiler.setSamplingInterval', { interval: 200 });
await ins.send('Profiler.start');
let requests = 0;
const deadline = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await request();
      requests++;
    }
  }),
);
const { profile } = await ins.send<{ profile: Profile }>('Profiler.stop');
ins.close();
agent.destroy();
if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const modules = bundleModules();
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
/** The nearest frame with a script URL at or above a node: where a native call's time is charged. */
const jsFrame = (id: number): ProfileNode['callFrame'] | undefined => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)?.callFrame;
    if (f?.url) return f;
  }
  return undefined;
};
/**
 * The layer a sample belongs to, from every module on its stack: the TenantGate (Durable Object), the queue
 * consumer, the ingest route (with the core functions it calls), the app's middleware and Hono, wrangler's own
 * dev-only middleware, or nothing of ours (the runtime, GC, idle-time bookkeeping).
 */
const LAYERS: [string, RegExp][] = [
  ['TenantGate (Durable Object)', /workers\/objects\/tenant-gate/],
  ['queue consumer (+ db driver)', /workers\/consumers\//],
  ['TenantHub (Durable Object)', /workers\/objects\/tenant-hub/],
  [
    'ingest route (+ core it calls)',
    /workers\/routes\/events\/ingest|workers\/lib\/ingest\/|workers\/services\/gate-admission/,
  ],
  ['app middleware + Hono', /workers\/lib\/|node_modules\/hono\//],
  ["wrangler dev's middleware", /^node_modules\/wrangler\/|^\.wrangler\//],
];
const layerOf = (id: number): string => {
  const mods: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)?.callFrame;
    if (f?.url) mods.push(moduleOf(modules, f.lineNumber));
  }
  for (const [layer, re] of LAYERS) if (mods.some((m) => re.test(m))) return layer;
  return mods.length > 0 ? 'other JS' : 'runtime (no JS frame: program, GC, natives)';
};
const byLayer = new Map<string, number>();
const byCaller = new Map<string, number>();
const byFunction = new Map<string, number>();
const byModule = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  total += us;
  if (f.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const mod = f.url ? moduleOf(modules, f.lineNumber) : '(native/runtime)';
  const name = `${f.functionName || '(anonymous)'}  ${mod}:${f.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  const js = jsFrame(id);
  const caller = js
    ? `${js.functionName || '(anonymous)'}  ${moduleOf(modules, js.lineNumber)}:${js.lineNumber + 1}`
    : name;
  byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
  const layer = layerOf(id);
  byLayer.set(layer, (byLayer.get(layer) ?? 0) + us);
}
const busy = total - idle;
console.log(
  `\n${mode}: ${requests} requests in ${seconds} s (${Math.round(requests / seconds)}/s); isolate busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled = ${(busy / 1000 / requests).toFixed(3)} ms of JS per request\n`,
);
const table = (title: string, m: Map<string, number>) => {
  console.log(`| ${title} | self ms/request | % of busy |\n| --- | ---: | ---: |`);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${name} | ${(us / 1000 / requests).toFixed(4)} | ${((us / busy) * 100).toFixed(1)}% |`);
  }
  console.log();
};
table('layer', byLayer);
table('function (bundle line)', byFunction);
table('module', byModule);
table('JS function, with the native calls it made', byCaller);
process.exit(0);
