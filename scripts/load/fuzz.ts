// Fuzz run: random and mutated bodies and headers against POST /v1/events and the auth routes of a stack
// under `wrangler dev` on a native PostgreSQL 15, over one keep-alive connection, over fresh connections and
// over a pool of keep-alive connections. Records every 5xx, every hang (no answer within the timeout) and every
// dropped connection with the input that drew it; then reconciles: every event answered 202 is stored once.
//
//   npx tsx scripts/load/fuzz.ts                      # 100,000 inputs
//   npx tsx scripts/load/fuzz.ts --inputs 20000 --seed 42
//
// Ports and PostgreSQL as in scripts/load/run.ts (PORT, DB_PROXY_PORT, INSPECTOR_PORT, PS_DATA_DIR,
// LOAD_PG_PORT, or --pg-url). Exit code 1 on any 5xx, hang, dropped connection, lost or duplicated event.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { findFreePort } from '../lib/ports';
import { cleanEvent, IdSource, seeded } from './lib/bodies';
import { api, keepAliveAgent, type Outcome, send } from './lib/http';
import { type Ledger, reconcile, waitForDrain, withPg } from './lib/reconcile';
import { Stack } from './lib/stack';
import { attachPg15, type Pg15, startPg15 } from './pg15';

const { values: args } = parseArgs({
  options: {
    inputs: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string' },
    'pg-url': { type: 'string' },
    'request-timeout': { type: 'string', default: '15000' },
    'drain-timeout': { type: 'string', default: '300' },
    json: { type: 'string' },
  },
});
const total = Number(args.inputs);
const concurrency = Number(args.concurrency);
const timeoutMs = Number(args['request-timeout']);
const seed = Number(args.seed ?? Date.now() % 1_000_000);
const rand = seeded(seed);
const runId = `F${Date.now().toString(36)}`;
const log = (s: string) => console.log(`[fuzz ${new Date().toISOString().slice(11, 19)}] ${s}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (n: number) => Math.floor(rand() * n);

// ---------------------------------------------------------------------------------------------------------
// Inputs

const HOSTILE_TOKENS = [
  '"\\u0000"',
  '"\\ud800"',
  '"a\\udfffb"',
  '"\\u0001"',
  '1e308',
  '-1e308',
  '1e400',
  '12345678901234567890',
  '-0',
  '0.1e-400',
  'null',
  'true',
  '[]',
  '{}',
  '"__proto__"',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{}}}',
  '"10000-01-01T00:00:00Z"',
  '"0000-01-01T00:00:00Z"',
  '"2026-02-31T00:00:00Z"',
  '253402300800000',
  '-1',
  '"x"',
  `"${'a'.repeat(70)}"`,
  `"${'b'.repeat(600)}"`,
  '[[[[[[[[[[[[[[1]]]]]]]]]]]]]]',
  '"\\n\\r\\t"',
  '"\u2028"',
  '"\ufeff"',
];
const FIELDS = ['id', 'timestamp', 'type', 'source', 'endpoint', 'method', 'status', 'latencyMs', 'properties'];
const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'prototype', 'valueOf', 'hasOwnProperty'];

/** A structurally meaningful mutation: a field gets a hostile value, a key becomes a prototype name, … */
function mutateObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  const n = 1 + int(3);
  for (let i = 0; i < n; i++) {
    const r = rand();
    const field = pick(FIELDS);
    if (r < 0.5) out[field] = JSON.parse(pick(HOSTILE_TOKENS));
    else if (r < 0.65) delete out[field];
    else if (r < 0.8) out[pick(PROTO_KEYS)] = JSON.parse(pick(HOSTILE_TOKENS));
    else if (r < 0.9) out.properties = { [pick(PROTO_KEYS)]: JSON.parse(pick(HOSTILE_TOKENS)), k: 'v' };
    else out[`x${int(100)}`] = 1;
  }
  return out;
}

/** A byte-level mutation of JSON text. */
function mutateText(s: string): string {
  const n = 1 + int(3);
  let t = s;
  for (let i = 0; i < n; i++) {
    const at = int(t.length + 1);
    const r = rand();
    if (r < 0.2) t = t.slice(0, at) + pick(HOSTILE_TOKENS) + t.slice(at);
    else if (r < 0.35) t = t.slice(0, at) + t.slice(at + 1 + int(8));
    else if (r < 0.5) t = t.slice(0, at) + String.fromCharCode(int(0x10000)) + t.slice(at);
    else if (r < 0.6) t = t.slice(0, at);
    else if (r < 0.7) t = t.slice(0, at) + pick(['{', '}', '[', ']', ',', ':', '"', '\\']) + t.slice(at);
    else if (r < 0.8) t = t.slice(0, at) + t.slice(Math.max(0, at - 20), at) + t.slice(at);
    else if (r < 0.9) t = t.replace(/"[a-zA-Z]+"/, `"${pick(PROTO_KEYS)}"`);
    else t = t.slice(0, at) + String.fromCharCode(int(32)) + t.slice(at);
  }
  return t;
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

interface Input {
  route: string;
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** For a 202 on /v1/events: whose ledger the ids go to. */
  tenant?: Ledger;
  kind: string;
}

interface Creds {
  key: string;
  otherKey: string;
  readKey: string;
  token: string;
  refreshToken: string;
  email: string;
  ledger: Ledger;
  otherLedger: Ledger;
}

function eventsInput(c: Creds, ids: IdSource): Input {
  const r = rand();
  let text: string;
  let kind: string;
  const base = () => cleanEvent(ids, rand) as unknown as Record<string, unknown>;
  if (r < 0.15) {
    kind = 'valid';
    text = rand() < 0.5 ? JSON.stringify(base()) : JSON.stringify({ events: Array.from({ length: 1 + int(5) }, base) });
  } else if (r < 0.45) {
    kind = 'field-mutation';
    text =
      rand() < 0.5
        ? JSON.stringify(mutateObject(base()))
        : JSON.stringify({
            events: Array.from({ length: 1 + int(4) }, () => (rand() < 0.5 ? mutateObject(base()) : base())),
          });
  } else if (r < 0.8) {
    kind = 'text-mutation';
    text = mutateText(JSON.stringify(rand() < 0.5 ? base() : { events: [base(), base()] }));
  } else if (r < 0.9) {
    kind = 'random-json';
    text = pick(HOSTILE_TOKENS);
    for (let i = int(4); i > 0; i--) text = `{"${pick([...FIELDS, 'events', ...PROTO_KEYS])}":${text}}`;
  } else {
    kind = 'random-bytes';
    const bytes = randomBytes(int(300));
    return { route: '/v1/events', method: 'POST', headers: eventHeaders(c), body: bytes, tenant: c.ledger, kind };
  }
  const headers = eventHeaders(c);
  let body: Uint8Array | string = text;
  if (rand() < 0.2) {
    const gz = gzipSync(text);
    if (rand() < 0.2) {
      const at = int(gz.length);
      gz[at] = (gz[at] ?? 0) ^ (1 + int(255));
    }
    body = rand() < 0.1 ? gz.subarray(0, int(gz.length)) : gz;
    headers['content-encoding'] = 'gzip';
    kind += '+gzip';
  }
  return {
    route: '/v1/events',
    method: 'POST',
    headers,
    body,
    tenant: headers['x-api-key'] === c.otherKey ? c.otherLedger : c.ledger,
    kind,
  };
}

function eventHeaders(c: Creds): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  const r = rand();
  if (r < 0.8) h['x-api-key'] = c.key;
  else if (r < 0.85) h['x-api-key'] = c.otherKey;
  else if (r < 0.88) h['x-api-key'] = c.readKey;
  else if (r < 0.9) h.authorization = `Bearer ${c.key}`;
  else if (r < 0.92) h.authorization = `Bearer ${c.token}`;
  else if (r < 0.95) h['x-api-key'] = `ps_live_${'A'.repeat(int(60))}`;
  else if (r < 0.97) h['x-api-key'] = c.key.slice(0, int(c.key.length));
  // else no credential
  const t = rand();
  if (t < 0.05)
    h['content-type'] = pick([
      'text/plain',
      'application/jsonx',
      'application/json; charset=utf-16',
      '',
      'multipart/form-data',
    ]);
  else if (t < 0.08) delete h['content-type'];
  if (rand() < 0.04) h['content-encoding'] = pick(['deflate', 'br', 'GZIP', 'gzip, gzip', 'identity', 'x-gzip', '']);
  if (rand() < 0.05) h['idempotency-key'] = pick([`k${int(20)}`, 'x'.repeat(300), ' ', 'a b', `${int(1e9)}`]);
  return h;
}

function authInput(c: Creds): Input {
  const r = rand();
  const json = { 'content-type': 'application/json' };
  const maybeMutate = (o: Record<string, unknown>) => {
    const x = rand();
    if (x < 0.3) return JSON.stringify(o);
    if (x < 0.6) {
      const m: Record<string, unknown> = { ...o };
      const k = pick(Object.keys(o));
      m[k] = JSON.parse(pick(HOSTILE_TOKENS));
      if (rand() < 0.3) m[pick(PROTO_KEYS)] = 1;
      return JSON.stringify(m);
    }
    return mutateText(JSON.stringify(o));
  };
  if (r < 0.35)
    return {
      route: '/v1/auth/login',
      method: 'POST',
      headers: json,
      body: maybeMutate({
        email: rand() < 0.5 ? c.email : `nobody${int(1000)}@example.com`,
        password: rand() < 0.2 ? 'correct horse battery staple' : 'wrong password x',
      }),
      kind: 'login',
    };
  if (r < 0.45)
    return {
      route: '/v1/auth/signup',
      method: 'POST',
      headers: json,
      // Mostly malformed: a valid signup creates a tenant and costs a PBKDF2 hash.
      body: mutateText(
        JSON.stringify({
          tenantName: `Fuzz ${int(1e6)}`,
          email: `f${int(1e9)}@example.com`,
          password: 'long enough password',
        }),
      ),
      kind: 'signup',
    };
  if (r < 0.6)
    return {
      route: '/v1/auth/refresh',
      method: 'POST',
      headers: json,
      body: maybeMutate({ refreshToken: rand() < 0.5 ? c.refreshToken : `psr_${'a'.repeat(43)}` }),
      kind: 'refresh',
    };
  if (r < 0.7)
    return {
      route: '/v1/auth/logout',
      method: 'POST',
      headers: json,
      body: maybeMutate({ refreshToken: `psr_${'b'.repeat(int(60))}` }),
      kind: 'logout',
    };
  // Signature verification from outside: a mutated access token must never be accepted.
  const i = int(c.token.length);
  const ch = pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.']);
  const token =
    rand() < 0.5 ? c.token.slice(0, i) + ch + c.token.slice(i + 1) : c.token.slice(0, i) + c.token.slice(i + 1);
  return {
    route: '/v1/me',
    method: 'GET',
    headers: { authorization: `Bearer ${token}`, 'x-fuzz-original': token === c.token ? 'same' : 'mutated' },
    kind: 'me-mutated-token',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Run

interface Finding {
  what: string;
  route: string;
  kind: string;
  transport: string;
  status?: number;
  error?: string;
  previous?: string;
  body: string;
  headers: Record<string, string>;
}
const findings: Finding[] = [];
const findingCounts = new Map<string, number>();
const statusCounts = new Map<string, number>();
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
let tried = 0;
const maybeIds = new Set<string>();

function shown(body: Input['body']): string {
  if (body === undefined) return '';
  const s = typeof body === 'string' ? body : `base64:${Buffer.from(body).toString('base64')}`;
  return s.length > 600 ? `${s.slice(0, 600)}…(${s.length})` : s;
}

let originalToken = '';
const decoded = (token: string) =>
  token
    .split('.')
    .map((p) => (/^[A-Za-z0-9_-]*$/.test(p) ? Buffer.from(p, 'base64url').toString('hex') : `raw:${p}`))
    .join('.');

function record(input: Input, transport: string, o: Outcome) {
  tried++;
  const add = (what: string, extra: Partial<Finding>) => {
    const key = `${what} | ${input.route} | ${transport}`;
    bump(findingCounts, key);
    if ((findingCounts.get(key) ?? 0) <= 5)
      findings.push({
        what,
        route: input.route,
        kind: input.kind,
        transport,
        body: shown(input.body),
        headers: { ...input.headers, 'x-api-key': input.headers['x-api-key'] ? '<key>' : '' },
        ...extra,
      });
  };
  const remember = () => {
    const text = typeof input.body === 'string' ? input.body : '';
    for (const m of text.matchAll(/"id":"([A-Za-z0-9._:-]{1,64})"/g)) maybeIds.add(m[1] ?? '');
  };
  if (!o.ok) {
    bump(statusCounts, `${input.route} ${o.kind}`);
    remember();
    add(o.kind === 'timeout' ? 'hang' : 'connection dropped', { error: o.error, previous: o.previous });
    return;
  }
  const a = o.answer;
  bump(statusCounts, `${input.route} ${a.status}`);
  if (a.status >= 500) {
    remember();
    add(`${a.status}`, { status: a.status, error: a.body.slice(0, 300), previous: a.previous });
    return;
  }
  if (input.route === '/v1/me' && a.status === 200 && input.headers['x-fuzz-original'] === 'mutated') {
    // Base64url's spare bits: a changed last character can decode to the same bytes. That is malleability
    // (noted), not a forgery (a finding).
    const sent = String(input.headers.authorization).slice(7);
    const same = decoded(sent) === decoded(originalToken);
    if (same) bump(statusCounts, '/v1/me 200 with a re-spelled token (same bytes after base64url decoding)');
    else add('mutated access token accepted', { status: 200, error: input.headers.authorization });
  }
  if (a.status >= 400 && !String(a.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    add(`${a.status} without problem+json`, { status: a.status, error: a.body.slice(0, 200) });
  }
  if (input.route === '/v1/events' && a.status === 202 && input.tenant) {
    try {
      const ids = (JSON.parse(a.body) as { ids?: string[] }).ids ?? [];
      for (const id of ids) input.tenant.acked.add(id);
    } catch {
      add('202 whose body is not JSON', { status: 202, error: a.body.slice(0, 200) });
    }
  }
}

const ports = {
  port: Number(process.env.PORT ?? (await findFreePort())),
  dbProxy: Number(process.env.DB_PROXY_PORT ?? (await findFreePort())),
  inspector: Number(process.env.INSPECTOR_PORT ?? (await findFreePort())),
};
const ownDataDir = !process.env.PS_DATA_DIR;
const dataDir = process.env.PS_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ps-fuzz-'));
mkdirSync(dataDir, { recursive: true });
const logFile = join(dataDir, `stack-${runId}.log`);
const pgServer: Pg15 = args['pg-url']
  ? attachPg15(args['pg-url'], '')
  : startPg15(Number(process.env.LOAD_PG_PORT ?? (await findFreePort())));
const stack = new Stack({
  port: ports.port,
  dbProxyPort: ports.dbProxy,
  inspectorPort: ports.inspector,
  dataDir,
  databaseUrl: pgServer.url,
  logFile,
});
const setupAgent = keepAliveAgent(2);
let exitCode = 0;
let report: Record<string, unknown> = {};

async function tenant(i: number) {
  const email = `fuzz-${runId}-${i}@example.com`;
  const s = await api(stack.base, setupAgent, '/v1/auth/signup', {
    body: { tenantName: `Fuzz ${runId} ${i}`, email, password: 'correct horse battery staple' },
  });
  if (s.status !== 201) throw new Error(`signup: ${s.status} ${JSON.stringify(s.json)}`);
  const token = String(s.json.accessToken);
  const mk = async (scopes: string[]) => {
    const k = await api(stack.base, setupAgent, '/v1/api-keys', { token, body: { name: scopes.join('+'), scopes } });
    if (k.status !== 201) throw new Error(`api key: ${k.status}`);
    return String(k.json.key);
  };
  const tenantId = String((s.json.tenant as { id: string }).id);
  return {
    email,
    token,
    refreshToken: String(s.json.refreshToken),
    key: await mk(['ingest']),
    readKey: await mk(['read']),
    ledger: {
      tenantId,
      name: `fuzz${i}`,
      acked: new Set<string>(),
      maybe: new Set<string>(),
      poisonAcked: new Map(),
    } as Ledger,
  };
}

try {
  log(`PostgreSQL at ${new URL(pgServer.url).host}; starting the stack on ${ports.port}`);
  log(`stack healthy after ${await stack.start()} ms`);
  const a = await tenant(0);
  const b = await tenant(1);
  // Limits out of the way: the fuzz run is about answers, not about 429s.
  await withPg(pgServer.url, (c) =>
    c.query('UPDATE tenants SET rate_limit_per_sec = 1000000, rate_limit_burst = 1000000 WHERE id = ANY($1)', [
      [a.ledger.tenantId, b.ledger.tenantId],
    ]),
  );
  const creds: Creds = { ...a, otherKey: b.key, otherLedger: b.ledger };
  originalToken = a.token;
  const ids = new IdSource(runId);
  const next = (): Input => (rand() < 0.88 ? eventsInput(creds, ids) : authInput(creds));
  const fire = (input: Input, agent: http.Agent | false, transport: string) =>
    send(stack.base, {
      method: input.method,
      path: input.route,
      headers: input.headers,
      body: input.body,
      agent,
      timeoutMs,
      label: `${input.route} ${input.kind}`,
    }).then((o) => record(input, transport, o));

  const phases = [
    { name: 'one keep-alive connection', share: 0.2, agent: keepAliveAgent(1), workers: 1 },
    { name: 'fresh connections', share: 0.2, agent: false as const, workers: concurrency },
    { name: 'keep-alive pool', share: 0.6, agent: keepAliveAgent(concurrency), workers: concurrency },
  ];
  const started = Date.now();
  for (const phase of phases) {
    const n = Math.round(total * phase.share);
    let issued = 0;
    const t = Date.now();
    let lastLog = Date.now();
    await Promise.all(
      Array.from({ length: phase.workers }, async () => {
        while (issued < n) {
          issued++;
          await fire(next(), phase.agent, phase.name);
          if (Date.now() - lastLog > 15_000) {
            lastLog = Date.now();
            log(
              `${phase.name}: ${issued}/${n} (${tried} total, ${[...findingCounts.values()].reduce((x, y) => x + y, 0)} findings)`,
            );
          }
        }
      }),
    );
    if (phase.agent) phase.agent.destroy();
    log(`${phase.name}: ${n} inputs in ${Math.round((Date.now() - t) / 1000)} s`);
  }
  const seconds = (Date.now() - started) / 1000;

  for (const id of maybeIds) {
    a.ledger.maybe.add(id);
    b.ledger.maybe.add(id);
  }
  const ledgers = [a.ledger, b.ledger];
  const drain = await waitForDrain(pgServer.url, ledgers, Number(args['drain-timeout']) * 1000, log);
  const rec = await reconcile(pgServer.url, ledgers);

  const acked = rec.tenants.reduce((n, t) => n + t.acked, 0);
  const lost = rec.tenants.reduce((n, t) => n + t.lost.length, 0);
  const dups = rec.tenants.reduce((n, t) => n + t.duplicateIds, 0);
  const phantom = rec.tenants.reduce((n, t) => n + t.phantom.length, 0);
  const rollupBad = rec.tenants.reduce((n, t) => n + t.rollupMismatches.length, 0);
  const letters = rec.tenants.reduce((n, t) => n + t.deadLetters.length, 0);
  const nFindings = [...findingCounts.values()].reduce((x, y) => x + y, 0);
  console.log(
    `\n=== fuzz run ${runId}: ${tried} inputs in ${seconds.toFixed(0)} s (${(tried / seconds).toFixed(0)}/s), seed ${seed} ===`,
  );
  console.log('answers:');
  for (const [k, v] of [...statusCounts].sort()) console.log(`  ${k}: ${v}`);
  console.log(
    `\nreconciliation (unique key: ${rec.uniqueKey}); drain ${drain.drained ? 'complete' : 'NOT complete'} after ${Math.round(drain.ms / 1000)} s:`,
  );
  for (const t of rec.tenants)
    console.log(
      `  ${t.name}: ${t.acked} events acknowledged, ${t.stored} stored, ${t.lost.length} lost, ${t.duplicateIds} duplicated, ${t.phantom.length} stored without a 202, ${t.rollupMismatches.length} rollup mismatches, ${t.deadLetters.length} dead letters${t.deadLetters[0] ? ` (first reason: ${t.deadLetters[0].reason.slice(0, 120)})` : ''}`,
    );
  for (const t of rec.tenants)
    if (t.lost.length) console.log(`  ${t.name} lost (first 10): ${t.lost.slice(0, 10).join(', ')}`);
  console.log(`\nfindings (${nFindings}):`);
  for (const [k, v] of findingCounts) console.log(`  ${v} × ${k}`);
  for (const f of findings.slice(0, 40))
    console.log(
      `  - ${f.what} on ${f.route} (${f.kind}, ${f.transport})${f.previous ? ` after [${f.previous}]` : ''}: ${f.status ?? ''} ${f.error ?? ''}\n    headers ${JSON.stringify(f.headers)}\n    body ${JSON.stringify(f.body)}`,
    );
  const failures: string[] = [];
  if (nFindings)
    failures.push(`${nFindings} findings (5xx, hangs, dropped connections, accepted forgeries, non-problem errors)`);
  if (lost) failures.push(`${lost} acknowledged events lost`);
  if (dups) failures.push(`${dups} duplicated`);
  if (rollupBad) failures.push(`${rollupBad} rollup buckets disagree`);
  if (!drain.drained) failures.push('not drained');
  console.log(
    failures.length
      ? `\nRESULT: FAIL — ${failures.join('; ')}`
      : `\nRESULT: PASS — ${tried} inputs, 0 5xx, 0 hangs, ${acked} acknowledged events stored once`,
  );
  exitCode = failures.length ? 1 : 0;
  report = {
    runId,
    seed,
    tried,
    seconds,
    statusCounts: Object.fromEntries(statusCounts),
    findingCounts: Object.fromEntries(findingCounts),
    findings,
    acked,
    lost,
    duplicated: dups,
    phantom,
    rollupMismatches: rollupBad,
    deadLetters: letters,
    drain,
    failures,
  };
} catch (err) {
  console.error(`[fuzz] failed: ${(err as Error).stack ?? err}`);
  exitCode = 2;
} finally {
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
  setupAgent.destroy();
  await stack.stop();
  pgServer.destroy();
  if (ownDataDir && exitCode === 0) rmSync(dataDir, { recursive: true, force: true });
  if (exitCode !== 0) console.log(`(stack log kept in ${logFile})`);
}
process.exit(exitCode);
