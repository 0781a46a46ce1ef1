// Load run: a mixed, multi-tenant load against `wrangler dev` on a real PostgreSQL 15, optionally with a fault
// injected mid-load, then a bounded drain and a reconciliation of every acknowledged id against the database.
//
//   npx tsx scripts/load/run.ts                         # 300 s, no fault
//   npx tsx scripts/load/run.ts --duration 60 --fault pg-restart
//   npx tsx scripts/load/run.ts --duration 60 --fault poison,slow-db
//
// Faults (comma-separated, each starts at 30 % of the duration):
//   pg-restart     PostgreSQL stopped (pg_ctl stop -m fast) for --pg-down seconds (30), then started again
//   poison         for a fifth of the run, a third of the requests carry a poison event among clean batch-mates
//   reset-objects  the stack (wrangler dev + workerd) is stopped and started again on the same persisted
//                  storage: every Durable Object (TenantGate, TenantHub) loses its in-memory state, live
//                  sockets are cut. Local queues are in memory in Miniflare, so the load pauses and the queue
//                  drains first (see RELIABILITY.md); production Queues are durable
//   slow-db        for a third of the run, every chunk between the stack and PostgreSQL is held --slow-ms (150)
//                  in each direction by a TCP delay proxy
//
// The stack: ports from PORT / DB_PROXY_PORT / INSPECTOR_PORT (free ports otherwise), data in PS_DATA_DIR (a
// temporary folder otherwise). PostgreSQL: its own PG15 on LOAD_PG_PORT (a free port otherwise), or an existing
// server with --pg-url URL --pg-data DIR (its data folder, so the restart fault can stop and start it).
//
// Exit code 1 on any acknowledged event lost, any duplicate, any rollup that disagrees with the rows, any
// refused event stored, any innocent event dead-lettered, any 5xx outside a fault window, or any hang.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { findFreePort } from '../lib/ports';
import {
  type CleanEvent,
  cleanEvent,
  DB_POISON_SOURCE,
  gzip,
  HOSTILE_KINDS,
  hostileBody,
  IdSource,
  POISON_KINDS,
  type PoisonKind,
  poisonKinds,
  seeded,
} from './lib/bodies';
import { type DelayProxy, startDelayProxy } from './lib/delay-proxy';
import { type Answer, api, keepAliveAgent, type Outcome, send } from './lib/http';
import { MemorySampler } from './lib/memory';
import { type Ledger, reconcile, type TenantReport, waitForDrain, withPg } from './lib/reconcile';
import { Stack } from './lib/stack';
import { attachPg15, type Pg15, startPg15 } from './pg15';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    fault: { type: 'string', default: '' },
    concurrency: { type: 'string', default: '8' },
    'drain-timeout': { type: 'string', default: '300' },
    'pg-down': { type: 'string', default: '30' },
    'slow-ms': { type: 'string', default: '150' },
    'pg-url': { type: 'string' },
    'pg-data': { type: 'string' },
    'poison-share': { type: 'string', default: '0.02' },
    'hostile-share': { type: 'string', default: '0.1' },
    sockets: { type: 'string', default: '5' },
    seed: { type: 'string' },
    json: { type: 'string' },
    'request-timeout': { type: 'string', default: '30000' },
  },
});

const FAULTS = ['pg-restart', 'poison', 'reset-objects', 'slow-db'] as const;
type Fault = (typeof FAULTS)[number];
const faults = (args.fault ?? '')
  .split(',')
  .map((f) => f.trim())
  .filter(Boolean) as Fault[];
for (const f of faults) if (!FAULTS.includes(f)) throw new Error(`unknown fault ${f}; one of ${FAULTS.join(', ')}`);
const durationS = Number(args.duration);
const concurrency = Number(args.concurrency);
const drainBoundMs = Number(args['drain-timeout']) * 1000;
const requestTimeoutMs = Number(args['request-timeout']);
const seed = Number(args.seed ?? Date.now() % 1_000_000);
const rand = seeded(seed);
const runId = `L${Date.now().toString(36)}`;
const log = (s: string) => console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${s}`);

// ---------------------------------------------------------------------------------------------------------
// Bookkeeping

interface Finding {
  at: number;
  what: string;
  category: string;
  status?: number;
  error?: string;
  detail?: string;
  /** The request that drew it: enough to send it again with curl. */
  repro?: string;
  /** The request sent just before it on the same keep-alive connection. */
  previous?: string;
}

const counts = new Map<string, number>();
const bump = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);
const findings: Finding[] = [];
const findingCounts = new Map<string, number>();
const poisonOutcome = new Map<string, number>();
/** Start of the load (reset when the generator starts): buckets and fault windows count from here. */
let t0 = Date.now();
/** Fault windows [start, end) in ms since t0: a 503 inside one is expected, outside it is a finding. */
const faultWindows: { fault: Fault; start: number; end: number }[] = [];
// Poison must not make anything unavailable: only the infrastructure faults excuse a 503.
const inFaultWindow = (at: number) =>
  faultWindows.some((w) => w.fault !== 'poison' && at >= w.start && at <= w.end + 5000);

let currentPrevious = '';
function addFinding(f: Omit<Finding, 'at'>) {
  f.previous ??= currentPrevious;
  const key = `${f.what} | ${f.category} | ${f.status ?? f.error ?? ''}${f.previous ? ` | after ${f.previous}` : ''}`;
  findingCounts.set(key, (findingCounts.get(key) ?? 0) + 1);
  if ((findingCounts.get(key) ?? 0) <= 3) findings.push({ ...f, at: Date.now() - t0 });
}

interface Bucket {
  latencies: number[];
  requests: number;
  eventsAcked: number;
  errors: number;
}
const buckets: Bucket[] = [];
function bucketNow(): Bucket {
  const i = Math.floor((Date.now() - t0) / 10_000);
  for (let b = buckets.length; b <= i; b++) buckets.push({ latencies: [], requests: 0, eventsAcked: 0, errors: 0 });
  return buckets[i] as Bucket;
}

// ---------------------------------------------------------------------------------------------------------
// Setup: PostgreSQL, optional delay proxy, the stack

const ports = {
  port: Number(process.env.PORT ?? (await findFreePort())),
  dbProxy: Number(process.env.DB_PROXY_PORT ?? (await findFreePort())),
  inspector: Number(process.env.INSPECTOR_PORT ?? (await findFreePort())),
};
const ownDataDir = !process.env.PS_DATA_DIR;
const dataDir = process.env.PS_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ps-load-'));
mkdirSync(dataDir, { recursive: true });
const logFile = join(dataDir, `stack-${runId}.log`);

let pgServer: Pg15;
if (args['pg-url']) {
  if (!args['pg-data'] && faults.includes('pg-restart')) throw new Error('--pg-restart with --pg-url needs --pg-data');
  pgServer = attachPg15(args['pg-url'], args['pg-data'] ?? '');
  log(`PostgreSQL: existing server ${new URL(args['pg-url']).host}`);
} else {
  const pgPort = Number(process.env.LOAD_PG_PORT ?? (await findFreePort()));
  pgServer = startPg15(pgPort);
  log(`PostgreSQL 15 started on 127.0.0.1:${pgPort} (${pgServer.dataDir})`);
}

let delay: DelayProxy | undefined;
let stackDbUrl = pgServer.url;
if (faults.includes('slow-db')) {
  const delayPort = await findFreePort();
  delay = await startDelayProxy(delayPort, { host: '127.0.0.1', port: pgServer.port });
  const u = new URL(pgServer.url);
  u.port = String(delayPort);
  stackDbUrl = u.toString();
  log(`slow-db: the stack reaches PostgreSQL through a TCP delay proxy on ${delayPort}`);
}

const stack = new Stack({
  port: ports.port,
  dbProxyPort: ports.dbProxy,
  inspectorPort: ports.inspector,
  dataDir,
  databaseUrl: stackDbUrl,
  logFile,
});
const memory = new MemorySampler(() => stack.pid);
const agent: http.Agent = keepAliveAgent(concurrency + 4);
const setupAgent = keepAliveAgent(4);
let exitCode = 0;
const sockets: LiveSocket[] = [];

async function cleanup() {
  for (const s of sockets) s.close();
  if (faults.includes('poison')) {
    await withPg(pgServer.url, (c) =>
      c.query(`ALTER TABLE events DROP CONSTRAINT IF EXISTS ${DB_POISON_CONSTRAINT}`),
    ).catch((err: Error) => console.error(`[load] could not drop ${DB_POISON_CONSTRAINT}: ${err.message}`));
  }
  memory.stop();
  agent.destroy();
  setupAgent.destroy();
  await stack.stop();
  await delay?.close();
  pgServer.destroy();
  if (ownDataDir && exitCode === 0) rmSync(dataDir, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  log('interrupted');
  exitCode = 130;
  void cleanup().then(() => process.exit(130));
});

// ---------------------------------------------------------------------------------------------------------
// Tenants

interface Tenant {
  name: string;
  id: string;
  token: string;
  refreshToken: string;
  key: string;
  hot: boolean;
  ledger: Ledger;
}

async function signup(i: number): Promise<Tenant> {
  const email = `load-${runId}-${i}@example.com`;
  const password = 'correct horse battery staple';
  let res: Awaited<ReturnType<typeof api>> | undefined;
  for (let attempt = 0; attempt < 30; attempt++) {
    res = await api(stack.base, setupAgent, '/v1/auth/signup', {
      body: { tenantName: `Load ${runId} ${i}`, email, password },
    });
    if (res.status !== 429) break;
    // The signup throttle: a well-behaved client waits as told.
    const wait = Number(res.headers['retry-after'] ?? 2);
    log(`signup ${i}: 429, waiting ${wait} s`);
    await new Promise((r) => setTimeout(r, Math.min(60, wait) * 1000));
  }
  if (res === undefined) throw new Error(`signup ${i}: no answer`);
  if (res.status !== 201) throw new Error(`signup ${i}: ${res.status} ${JSON.stringify(res.json)}`);
  const token = String(res.json.accessToken);
  const tenantId = String((res.json.tenant as { id: string }).id);
  const key = await api(stack.base, setupAgent, '/v1/api-keys', {
    token,
    body: { name: 'load', scopes: ['ingest', 'read'] },
  });
  if (key.status !== 201) throw new Error(`api key ${i}: ${key.status} ${JSON.stringify(key.json)}`);
  const name = i === 0 ? 'hot' : `t${i}`;
  return {
    name,
    id: tenantId,
    token,
    refreshToken: String(res.json.refreshToken),
    key: String(key.json.key),
    hot: i === 0,
    ledger: { tenantId, name, acked: new Set(), maybe: new Set(), poisonAcked: new Map() },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Live sockets: one per tenant (or --sockets), connected throughout, reconnecting with a fresh ticket

class LiveSocket {
  ws: WebSocket | undefined;
  messages = new Map<string, number>();
  connects = 0;
  closes: string[] = [];
  ticketFailures = 0;
  private closed = false;
  constructor(private readonly tenant: Tenant) {}
  async connect(): Promise<void> {
    while (!this.closed) {
      try {
        await refreshIfNeeded(this.tenant);
        const t = await api(stack.base, setupAgent, '/v1/live/ticket', { method: 'POST', token: this.tenant.token });
        if (t.status !== 201) throw new Error(`ticket ${t.status}`);
        const url = `ws://127.0.0.1:${ports.port}/v1/live?ticket=${encodeURIComponent(String(t.json.ticket))}`;
        await new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url);
          this.ws = ws;
          ws.once('open', () => {
            this.connects++;
            resolve();
          });
          ws.once('error', reject);
          ws.on('message', (data) => {
            let type = 'unparsed';
            try {
              type = String((JSON.parse(String(data)) as { type?: unknown }).type);
            } catch {
              // counted as unparsed
            }
            this.messages.set(type, (this.messages.get(type) ?? 0) + 1);
          });
          ws.on('close', (code, reason) => {
            if (this.closed) return;
            this.closes.push(`${Math.round((Date.now() - t0) / 1000)}s:${code}${reason.length ? ` ${reason}` : ''}`);
            setTimeout(() => void this.connect(), 1000);
          });
        });
        return;
      } catch {
        this.ticketFailures++;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }
  close() {
    this.closed = true;
    this.ws?.close();
  }
}

/** Access tokens live ~15 min: refresh before a ticket when the run is long. */
const tokenIssued = new Map<Tenant, number>();
async function refreshIfNeeded(t: Tenant) {
  const issued = tokenIssued.get(t) ?? t0;
  if (Date.now() - issued < 10 * 60_000) return;
  const r = await api(stack.base, setupAgent, '/v1/auth/refresh', { body: { refreshToken: t.refreshToken } });
  if (r.status === 200) {
    t.token = String(r.json.accessToken);
    t.refreshToken = String(r.json.refreshToken);
    tokenIssued.set(t, Date.now());
  }
}

// ---------------------------------------------------------------------------------------------------------
// The generator

type Kind = 'single' | 'batch' | 'gzip-batch' | 'gzip-single' | 'resend' | 'poison-batch' | 'hostile';
let poisonShare = Number(args['poison-share']);
let dbRefusesPoison = false;
const DB_POISON_CONSTRAINT = 'load_run_refuses_poison';
const hostileShare = Number(args['hostile-share']);
let paused: Promise<void> | undefined;
let inFlight = 0;
const recentBatches: { tenant: Tenant; body: string; ids: string[] }[] = [];

function pickKind(): Kind {
  const r = rand();
  if (r < hostileShare) return 'hostile';
  if (r < hostileShare + poisonShare) return 'poison-batch';
  const rest = (r - hostileShare - poisonShare) / (1 - hostileShare - poisonShare);
  if (rest < 0.4) return 'single';
  if (rest < 0.7) return 'batch';
  if (rest < 0.85) return 'gzip-batch';
  if (rest < 0.97) return 'gzip-single';
  return 'resend';
}

function curlOf(path: string, headers: Record<string, string>, body: string | Uint8Array, note = ''): string {
  const h = Object.entries(headers)
    .filter(([k]) => k !== 'x-api-key')
    .map(([k, v]) => `-H '${k}: ${v}'`)
    .join(' ');
  const shown = typeof body === 'string' ? body : `<${body.length} bytes>`;
  const excerpt = shown.length > 300 ? `${shown.slice(0, 300)}…(${shown.length} chars)` : shown;
  return `curl -X POST ${stack.base.origin}${path} -H 'x-api-key: $KEY' ${h} --data-binary '${excerpt}'${note}`;
}

function isProblem(a: Answer) {
  return String(a.headers['content-type'] ?? '').startsWith('application/problem+json');
}

interface AckedAnswer {
  accepted?: number;
  ids?: string[];
  rejected?: { index: number; errors: { path: string; message: string }[] }[];
}

/** Records a clean request's answer: acked ids, unknown outcomes, unexpected statuses. */
function recordClean(t: Tenant, category: string, ids: string[], o: Outcome, repro: () => string) {
  currentPrevious = o.ok ? o.answer.previous : o.previous;
  const b = bucketNow();
  b.requests++;
  if (!o.ok) {
    b.errors++;
    for (const id of ids) t.ledger.maybe.add(id);
    bump(`${category} ${o.kind}`);
    if (o.kind === 'timeout')
      addFinding({ what: 'hang (no answer within the timeout)', category, error: o.error, repro: repro() });
    else addFinding({ what: 'connection error on a clean request', category, error: o.error, repro: repro() });
    return;
  }
  const a = o.answer;
  bump(`${category} ${a.status}`);
  if (a.status === 202) {
    const body = JSON.parse(a.body) as AckedAnswer;
    for (const id of body.ids ?? []) t.ledger.acked.add(id);
    b.eventsAcked += body.ids?.length ?? 0;
    b.latencies.push(a.ms);
    if ((body.ids?.length ?? 0) !== ids.length) {
      // A partial acceptance (pipeline trouble): the rest may or may not be retried by a client.
      for (const id of ids) if (!body.ids?.includes(id)) t.ledger.maybe.add(id);
    }
    return;
  }
  b.errors++;
  if (a.status >= 500) {
    for (const id of ids) t.ledger.maybe.add(id);
    const expected = a.status === 503 && isProblem(a) && inFaultWindow(Date.now() - t0);
    if (!expected)
      addFinding({
        what: `${a.status} on a clean request`,
        category,
        status: a.status,
        detail: a.body.slice(0, 300),
        repro: repro(),
      });
    else bump(`${category} 503 inside a fault window`);
  } else if (a.status !== 429) {
    addFinding({
      what: `${a.status} on a clean request`,
      category,
      status: a.status,
      detail: a.body.slice(0, 300),
      repro: repro(),
    });
  }
}

async function oneRequest(ids: IdSource, tenants: Tenant[]) {
  const hot = tenants[0] as Tenant;
  const t = rand() < 0.6 ? hot : (tenants[1 + Math.floor(rand() * (tenants.length - 1))] as Tenant);
  const kind = pickKind();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': t.key };
  const post = (body: string | Uint8Array, extra: Record<string, string> = {}) =>
    send(stack.base, {
      path: '/v1/events',
      headers: { ...headers, ...extra },
      body,
      agent,
      timeoutMs: requestTimeoutMs,
      label: kind,
    });
  switch (kind) {
    case 'single':
    case 'gzip-single': {
      const e = cleanEvent(ids, rand);
      const text = JSON.stringify(e);
      const gz = kind === 'gzip-single';
      const o = await post(gz ? gzip(text) : text, gz ? { 'content-encoding': 'gzip' } : {});
      recordClean(t, kind, [e.id], o, () => curlOf('/v1/events', headers, text));
      return;
    }
    case 'batch':
    case 'gzip-batch': {
      const events: CleanEvent[] = Array.from({ length: 100 }, () => cleanEvent(ids, rand));
      const text = JSON.stringify({ events });
      const gz = kind === 'gzip-batch';
      const o = await post(gz ? gzip(text) : text, gz ? { 'content-encoding': 'gzip' } : {});
      const eventIds = events.map((e) => e.id);
      recordClean(t, kind, eventIds, o, () => curlOf('/v1/events', headers, text));
      if (o.ok && o.answer.status === 202 && recentBatches.length < 200)
        recentBatches.push({ tenant: t, body: text, ids: eventIds });
      return;
    }
    case 'resend': {
      // A client that did not see the 202 and sends the same batch again: stored once, counted once.
      const prev = recentBatches[Math.floor(rand() * recentBatches.length)];
      if (!prev) return;
      const o = await send(stack.base, {
        path: '/v1/events',
        headers: { 'content-type': 'application/json', 'x-api-key': prev.tenant.key },
        body: prev.body,
        agent,
        timeoutMs: requestTimeoutMs,
        label: 'resend',
      });
      recordClean(prev.tenant, 'resend', prev.ids, o, () => curlOf('/v1/events', headers, prev.body));
      return;
    }
    case 'poison-batch': {
      const events: unknown[] = Array.from({ length: 9 }, () => cleanEvent(ids, rand));
      // While the database refuses DB_POISON_SOURCE, half of the poison is valid at the edge and refused there.
      const byDatabase = dbRefusesPoison && rand() < 0.5;
      const poisonKind = byDatabase
        ? 'refused-by-database'
        : (poisonKinds[Math.floor(rand() * poisonKinds.length)] as PoisonKind);
      const poison = (
        byDatabase
          ? { ...cleanEvent(ids, rand), source: DB_POISON_SOURCE }
          : POISON_KINDS[poisonKind as PoisonKind](cleanEvent(ids, rand))
      ) as { id: string };
      const at = Math.floor(rand() * 10);
      events.splice(at, 0, poison);
      const text = JSON.stringify({ events });
      const o = await post(text);
      const mates = (events as { id: string }[]).map((e) => e.id).filter((id) => id !== poison.id);
      const repro = () =>
        curlOf('/v1/events', headers, JSON.stringify({ events: [poison] }), ` # poison ${poisonKind}`);
      if (o.ok && o.answer.status === 202) {
        const body = JSON.parse(o.answer.body) as AckedAnswer;
        const acked = new Set(body.ids ?? []);
        if (acked.has(poison.id)) {
          t.ledger.poisonAcked.set(poison.id, poisonKind);
          poisonOutcome.set(
            `${poisonKind}: 202, acknowledged`,
            (poisonOutcome.get(`${poisonKind}: 202, acknowledged`) ?? 0) + 1,
          );
        } else {
          const rej = body.rejected?.find((r) => r.index === at);
          const why = rej ? `${rej.errors[0]?.path}: ${rej.errors[0]?.message}` : 'not in ids';
          const key = `${poisonKind}: refused at the edge (in a 202's rejected list: ${why})`;
          poisonOutcome.set(key, (poisonOutcome.get(key) ?? 0) + 1);
        }
        for (const id of acked) if (id !== poison.id) t.ledger.acked.add(id);
        const b = bucketNow();
        b.requests++;
        b.eventsAcked += acked.size;
        b.latencies.push(o.answer.ms);
        bump('poison-batch 202');
        return;
      }
      if (o.ok && o.answer.status >= 400 && o.answer.status < 500) {
        const key = `${poisonKind}: whole batch refused ${o.answer.status}`;
        poisonOutcome.set(key, (poisonOutcome.get(key) ?? 0) + 1);
      }
      recordClean(t, 'poison-batch', [...mates, poison.id], o, repro);
      return;
    }
    case 'hostile': {
      const hk = HOSTILE_KINDS[Math.floor(rand() * HOSTILE_KINDS.length)] as string;
      const h = hostileBody(hk, ids, rand);
      const o = await send(stack.base, {
        path: '/v1/events',
        headers: { ...h.headers, 'x-api-key': t.key },
        body: h.body,
        contentLength: h.contentLength,
        cutAfter: h.cutAfter,
        agent: h.fresh ? false : agent,
        timeoutMs: requestTimeoutMs,
        label: `hostile:${hk}`,
      });
      const category = `hostile:${hk}`;
      currentPrevious = o.ok ? o.answer.previous : o.previous;
      const repro = () =>
        curlOf('/v1/events', h.headers, h.body.length < 400 ? new TextDecoder().decode(h.body) : h.body, ` # ${hk}`);
      if (!o.ok) {
        bump(`${category} ${o.kind}${o.error === 'cut by client' ? ' (client cut)' : ''}`);
        if (o.error === 'cut by client') return;
        if (o.kind === 'timeout')
          addFinding({ what: 'hang on a hostile body', category, error: o.error, repro: repro() });
        else addFinding({ what: 'connection error on a hostile body', category, error: o.error, repro: repro() });
        return;
      }
      const a = o.answer;
      bump(`${category} ${a.status}`);
      if (a.status >= 500) {
        const expected = a.status === 503 && isProblem(a) && inFaultWindow(Date.now() - t0);
        if (!expected)
          addFinding({
            what: `${a.status} on a hostile body`,
            category,
            status: a.status,
            detail: a.body.slice(0, 300),
            repro: repro(),
          });
      } else if (a.status < 400) {
        addFinding({
          what: `${a.status} on a hostile body (must be refused)`,
          category,
          status: a.status,
          detail: a.body.slice(0, 300),
          repro: repro(),
        });
      } else if (!isProblem(a)) {
        addFinding({
          what: `${a.status} without problem+json`,
          category,
          status: a.status,
          detail: a.body.slice(0, 200),
          repro: repro(),
        });
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Faults

async function pauseAndDrain(tenants: Tenant[], what: string): Promise<() => void> {
  let release: () => void = () => undefined;
  paused = new Promise<void>((r) => {
    release = r;
  });
  const waitStart = Date.now();
  while (inFlight > 0 && Date.now() - waitStart < requestTimeoutMs + 5000) await new Promise((r) => setTimeout(r, 50));
  const d = await waitForDrain(
    pgServer.url,
    tenants.map((t) => t.ledger),
    120_000,
    log,
  );
  log(`${what}: load paused; queue ${d.drained ? 'drained' : 'NOT drained'} in ${Math.round(d.ms / 1000)} s`);
  return () => {
    paused = undefined;
    release();
  };
}

async function runFault(fault: Fault, tenants: Tenant[]) {
  const start = Date.now() - t0;
  const window = { fault, start, end: Number.POSITIVE_INFINITY };
  faultWindows.push(window);
  log(`fault ${fault}: begins`);
  switch (fault) {
    case 'pg-restart': {
      const down = Number(args['pg-down']);
      pgServer.stop();
      log(`fault pg-restart: PostgreSQL stopped for ${down} s`);
      await new Promise((r) => setTimeout(r, down * 1000));
      pgServer.start();
      log('fault pg-restart: PostgreSQL started again');
      break;
    }
    case 'poison': {
      // The database refuses one valid source for the rest of the run (a CHECK constraint, NOT VALID so the
      // rows already stored are not checked): those events pass the edge and must be isolated by the consumer,
      // dead-lettered with the database's reason, while their batch-mates are stored.
      await withPg(pgServer.url, (c) =>
        c.query(
          `ALTER TABLE events ADD CONSTRAINT ${DB_POISON_CONSTRAINT} CHECK (source <> '${DB_POISON_SOURCE}') NOT VALID`,
        ),
      );
      dbRefusesPoison = true;
      const before = poisonShare;
      poisonShare = 0.3;
      await new Promise((r) => setTimeout(r, durationS * 200));
      poisonShare = before;
      dbRefusesPoison = false;
      break;
    }
    case 'reset-objects': {
      const resume = await pauseAndDrain(tenants, 'reset-objects');
      const stopStarted = Date.now();
      await stack.stop();
      const healthyIn = await stack.start();
      log(
        `fault reset-objects: stack stopped and started again (${Math.round((Date.now() - stopStarted) / 1000)} s, healthy after ${healthyIn} ms)`,
      );
      resume();
      break;
    }
    case 'slow-db': {
      if (!delay) throw new Error('slow-db without a delay proxy');
      delay.delayMs = Number(args['slow-ms']);
      await new Promise((r) => setTimeout(r, durationS * 333));
      delay.delayMs = 0;
      break;
    }
  }
  window.end = Date.now() - t0;
  log(`fault ${fault}: ends`);
}

// ---------------------------------------------------------------------------------------------------------
// Report helpers

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

// ---------------------------------------------------------------------------------------------------------
// Main

let report: Record<string, unknown> = {};
try {
  const healthyMs = await stack.start();
  log(`stack healthy after ${healthyMs} ms on ${stack.base.origin} (log: ${logFile})`);
  memory.start();

  const tenants: Tenant[] = [];
  for (let i = 0; i < 5; i++) tenants.push(await signup(i));
  // The hot tenant gets limits far above what the machine can send, so it is really hot; the others keep
  // the plan's defaults (and may see 429s, which are counted, never acknowledged).
  await withPg(pgServer.url, (c) =>
    c.query('UPDATE tenants SET rate_limit_per_sec = 1000000, rate_limit_burst = 1000000 WHERE id = $1', [
      tenants[0]?.id,
    ]),
  );
  log(`tenants: ${tenants.map((t) => `${t.name}=${t.id}`).join(', ')}`);
  for (const t of tenants) tokenIssued.set(t, Date.now());

  const socketCount = Number(args.sockets);
  for (let i = 0; i < socketCount; i++) {
    const s = new LiveSocket(tenants[i % tenants.length] as Tenant);
    sockets.push(s);
    await s.connect();
  }
  log(`${sockets.length} live sockets connected`);

  const ids = new IdSource(runId);
  const loadStart = Date.now();
  t0 = loadStart;
  const deadline = loadStart + durationS * 1000;
  const faultAt = loadStart + durationS * 300;
  const faultRuns: Promise<void>[] = [];
  const faultTimer =
    faults.length > 0
      ? setTimeout(() => {
          for (const f of faults) faultRuns.push(runFault(f, tenants));
        }, faultAt - Date.now())
      : undefined;
  let lastProgress = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        if (paused) await paused;
        inFlight++;
        try {
          await oneRequest(ids, tenants);
        } catch (err) {
          addFinding({ what: 'generator error', category: 'generator', error: (err as Error).message });
        } finally {
          inFlight--;
        }
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          const acked = tenants.reduce((n, t) => n + t.ledger.acked.size, 0);
          log(
            `${Math.round((Date.now() - loadStart) / 1000)} s: ${acked} events acknowledged, ${findings.length} findings`,
          );
        }
      }
    }),
  );
  clearTimeout(faultTimer);
  await Promise.all(faultRuns);
  const loadSeconds = (Date.now() - loadStart) / 1000;
  log(`load stopped after ${loadSeconds.toFixed(0)} s; draining (bound ${drainBoundMs / 1000} s)`);

  const drain = await waitForDrain(
    pgServer.url,
    tenants.map((t) => t.ledger),
    drainBoundMs,
    log,
  );
  log(`drain: ${drain.drained ? 'complete' : 'NOT complete'} after ${Math.round(drain.ms / 1000)} s`);
  const rec = await reconcile(
    pgServer.url,
    tenants.map((t) => t.ledger),
  );

  // Dead letters as an admin sees them.
  const deadLetterApi: { tenant: string; status: number; letters: { reason: string; events: number }[] }[] = [];
  for (const t of tenants) {
    await refreshIfNeeded(t);
    const r = await api(stack.base, setupAgent, '/v1/pipeline/dead-letters?limit=100', { token: t.token });
    const data = (r.json.data as { reason: string; events: number }[] | undefined) ?? [];
    deadLetterApi.push({
      tenant: t.name,
      status: r.status,
      letters: data.map((d) => ({ reason: d.reason, events: d.events })),
    });
    const lettered = rec.tenants.find((x) => x.name === t.name)?.poisonDeadLettered.length ?? 0;
    if (r.status === 200 && data.length < Math.min(lettered, 100))
      addFinding({
        what: `dead-letters API lists ${data.length} letters, the table holds ${lettered} poison letters`,
        category: 'dead-letters',
      });
    if (r.status !== 200)
      addFinding({
        what: `dead-letters API answered ${r.status}`,
        category: 'dead-letters',
        status: r.status,
        detail: JSON.stringify(r.json).slice(0, 300),
      });
  }

  // ------------------------------------------------------------------------------------------------------
  // Report
  const totalAcked = rec.tenants.reduce((n, t) => n + t.acked, 0);
  const lost = rec.tenants.reduce((n, t) => n + t.lost.length, 0);
  const dups = rec.tenants.reduce((n, t) => n + t.duplicateIds, 0);
  const phantom = rec.tenants.reduce((n, t) => n + t.phantom.length, 0);
  const rollupBad = rec.tenants.reduce((n, t) => n + t.rollupMismatches.length, 0);
  const innocent = rec.tenants.reduce((n, t) => n + t.innocentDeadLettered, 0);
  const poisonAcked = rec.tenants.reduce((n, t) => n + t.poisonAcked, 0);
  const poisonMissing = rec.tenants.reduce((n, t) => n + t.poisonMissing.length, 0);
  const poisonLettered = rec.tenants.reduce((n, t) => n + t.poisonDeadLettered.length, 0);
  const totalRequests = buckets.reduce((n, b) => n + b.requests, 0);
  const fiveXx = [...findingCounts].filter(([k]) => /^5\d\d /.test(k)).reduce((n, [, v]) => n + v, 0);
  const hangs = [...findingCounts].filter(([k]) => k.startsWith('hang')).reduce((n, [, v]) => n + v, 0);
  const sqlReasons = rec.tenants.flatMap((t) =>
    t.deadLetters.filter((d) => /^(Failed query|insert into|with )/i.test(d.reason)),
  );

  console.log(
    `\n=== load run ${runId}: ${faults.length ? `fault ${faults.join(', ')}` : 'no fault'}, ${durationS} s, seed ${seed} ===`,
  );
  console.log(
    `throughput: ${totalRequests} requests (${(totalRequests / loadSeconds).toFixed(0)}/s), ${totalAcked} distinct events acknowledged (${(totalAcked / loadSeconds).toFixed(0)}/s), concurrency ${concurrency}`,
  );
  console.log(`peak workerd RSS: ${(memory.peakBytes / 2 ** 20).toFixed(0)} MiB (${memory.samples} samples)`);
  console.log('\naccept latency of 202 answers per 10 s:');
  console.log('| t (s) | requests | events acked | non-202 | p50 ms | p99 ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  buckets.forEach((b, i) => {
    const tag = faultWindows.filter((w) => w.start < (i + 1) * 10_000 && w.end >= i * 10_000).map((w) => ` ${w.fault}`);
    console.log(
      `| ${i * 10}${tag.join('')} | ${b.requests} | ${b.eventsAcked} | ${b.errors} | ${f1(pct(b.latencies, 0.5))} | ${f1(pct(b.latencies, 0.99))} |`,
    );
  });
  console.log('\nanswers by request kind:');
  for (const [k, v] of [...counts].sort()) console.log(`  ${k}: ${v}`);
  console.log('\npoison events:');
  if (poisonOutcome.size === 0) console.log('  none sent');
  for (const [k, v] of [...poisonOutcome].sort()) console.log(`  ${k}: ${v}`);
  const poisonStoredN = rec.tenants.reduce((n, t) => n + t.poisonStored.length, 0);
  if (poisonOutcome.size > 0 && poisonLettered === 0 && poisonMissing === 0) {
    // Every candidate was refused at the edge or stored as sent: none passes the edge and then fails storage.
    console.log(
      `  => no poison candidate passed the edge and then failed storage: the edge refused the unstorable ones, and the ${poisonStoredN} acknowledged were stored as sent`,
    );
  }
  console.log(`\nreconciliation (unique key: ${rec.uniqueKey}):`);
  console.log(
    '| tenant | acked | stored | lost | duplicated | refused but stored | unknown-outcome stored | rollup mismatches | poison acked | poison dead-lettered | poison stored | poison missing | innocent dead-lettered |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const t of rec.tenants)
    console.log(
      `| ${t.name} | ${t.acked} | ${t.stored} | ${t.lost.length} | ${t.duplicateIds} | ${t.phantom.length} | ${t.maybeStored} | ${t.rollupMismatches.length} | ${t.poisonAcked} | ${t.poisonDeadLettered.length} | ${t.poisonStored.length} | ${t.poisonMissing.length} | ${t.innocentDeadLettered} |`,
    );
  for (const t of rec.tenants) {
    if (t.lost.length) console.log(`  ${t.name}: lost ids (first 10): ${t.lost.slice(0, 10).join(', ')}`);
    if (t.phantom.length)
      console.log(`  ${t.name}: refused-but-stored ids (first 10): ${t.phantom.slice(0, 10).join(', ')}`);
    for (const m of t.rollupMismatches.slice(0, 5))
      console.log(`  ${t.name}: rollup mismatch ${m.level} ${m.bucket}: rows ${m.rows}, rollup ${m.rollup}`);
    for (const p of t.poisonDeadLettered.slice(0, 3))
      console.log(`  ${t.name}: poison ${p.kind} ${p.id} dead-lettered, reason: ${p.reason.slice(0, 160)}`);
    for (const p of t.poisonStored.slice(0, 3))
      console.log(`  ${t.name}: poison ${p.kind} ${p.id} was STORED (the database took it)`);
  }
  console.log('\ndead letters via GET /v1/pipeline/dead-letters:');
  for (const d of deadLetterApi)
    console.log(
      `  ${d.tenant}: ${d.status}, ${d.letters.length} letters${d.letters.length ? `, first reason: ${d.letters[0]?.reason.slice(0, 160)}` : ''}`,
    );
  console.log('\nlive sockets:');
  for (const [i, s] of sockets.entries())
    console.log(
      `  socket ${i}: ${s.connects} connects, closes [${s.closes.join(', ')}], ticket failures ${s.ticketFailures}, messages ${JSON.stringify(Object.fromEntries(s.messages))}`,
    );
  const logs = stack.logSummary();
  console.log(
    `\nWorker log: ${logs.errors.length} error lines, ${logs.warnings.length} warnings, ${logs.reloads} reloads`,
  );
  for (const e of logs.errors.slice(0, 5)) console.log(`  ${e.slice(0, 300)}`);
  console.log(`\nfindings (${[...findingCounts.values()].reduce((a, b) => a + b, 0)}):`);
  for (const [k, v] of findingCounts) console.log(`  ${v} × ${k}`);
  for (const f of findings.slice(0, 30))
    console.log(
      `  at ${Math.round(f.at / 1000)} s: ${f.what} [${f.category}] ${f.status ?? ''} ${f.error ?? ''} ${f.detail ?? ''}\n    repro: ${f.repro ?? '–'}`,
    );

  const failures: string[] = [];
  if (!drain.drained) failures.push('the pipeline did not drain within the bound');
  if (lost)
    failures.push(
      drain.drained
        ? `${lost} acknowledged events lost`
        : `${lost} acknowledged events not stored within the drain bound (lost, or still waiting in the consumer's retry backoff: rerun with a longer --drain-timeout to tell)`,
    );
  if (dups) failures.push(`${dups} duplicated`);
  if (rollupBad) failures.push(`${rollupBad} rollup buckets disagree with the rows`);
  if (phantom) failures.push(`${phantom} refused events stored`);
  if (innocent) failures.push(`${innocent} innocent events dead-lettered`);
  if (poisonMissing) failures.push(`${poisonMissing} acknowledged poison events neither stored nor dead-lettered`);
  if (sqlReasons.length) failures.push(`${sqlReasons.length} dead letters whose reason is SQL text, not the error`);
  if (fiveXx) failures.push(`${fiveXx} 5xx answers outside fault windows`);
  if (hangs) failures.push(`${hangs} hangs`);
  const otherFindings = [...findingCounts]
    .filter(([k]) => !/^5\d\d /.test(k) && !k.startsWith('hang'))
    .reduce((n, [, v]) => n + v, 0);
  if (otherFindings) failures.push(`${otherFindings} other findings`);
  console.log(
    failures.length
      ? `\nRESULT: FAIL — ${failures.join('; ')}`
      : `\nRESULT: PASS — ${totalAcked} acknowledged events, 0 lost, 0 duplicated, rollups agree${poisonAcked ? `, ${poisonLettered} poison dead-lettered` : ''}`,
  );
  exitCode = failures.length ? 1 : 0;
  report = {
    runId,
    seed,
    faults,
    durationS,
    concurrency,
    loadSeconds,
    requests: totalRequests,
    acked: totalAcked,
    lost,
    duplicated: dups,
    phantom,
    rollupMismatches: rollupBad,
    innocentDeadLettered: innocent,
    poisonAcked,
    poisonDeadLettered: poisonLettered,
    poisonMissing,
    poisonOutcome: Object.fromEntries(poisonOutcome),
    peakRssMiB: memory.peakBytes / 2 ** 20,
    drain,
    buckets: buckets.map((b, i) => ({
      t: i * 10,
      requests: b.requests,
      eventsAcked: b.eventsAcked,
      errors: b.errors,
      p50: pct(b.latencies, 0.5),
      p99: pct(b.latencies, 0.99),
    })),
    counts: Object.fromEntries(counts),
    findingCounts: Object.fromEntries(findingCounts),
    findings,
    tenants: rec.tenants.map((t: TenantReport) => ({
      ...t,
      lost: t.lost.slice(0, 50),
      phantom: t.phantom.slice(0, 50),
    })),
    deadLetterApi,
    failures,
  };
} catch (err) {
  console.error(`[load] failed: ${(err as Error).stack ?? err}`);
  exitCode = 2;
  report = { runId, error: (err as Error).message };
} finally {
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
  await cleanup();
  if (exitCode !== 0) console.log(`(stack log kept in ${logFile})`);
}
process.exit(exitCode);
