// Runs the platform the way a new user does (`npm run dev`) and checks it from outside:
//   1. GET /health answers {"status":"ok"} with the database check ok, within 90 s;
//   2. a new user signs up, creates a key and sends 10,000 events in batches of 100: they are stored
//      exactly once and the rollups count them exactly once (plus one duplicate id that must not count);
//   3. data written before a restart is still there after it (embedded PGlite persists);
//   4. a refused body (too large, bad gzip) leaves the keep-alive connection usable for the next request.
// Uses its own ports and data folder, so it can run next to a developer's stack. Exit code 0 = pass.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { checkRefusalsKeepConnection } from './lib/keepalive-check';
import { findFreePort } from './lib/ports';

const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'ps-smoke-'));
const ports = {
  PORT: await findFreePort(),
  PG_PORT: await findFreePort(),
  DB_PROXY_PORT: await findFreePort(),
  INSPECTOR_PORT: await findFreePort(),
};
const base = `http://127.0.0.1:${ports.PORT}`;

function start(): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, PS_DATA_DIR: dataDir };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  delete env.DATABASE_URL;
  return spawn('npm', ['run', 'dev'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGINT');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitHealthy(limitMs: number): Promise<{ ms: number; body: unknown }> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < limitMs) {
    try {
      const res = await fetch(`${base}/health`);
      const body = (await res.json()) as { status?: string; checks?: { db?: { status?: string } } };
      if (res.status === 200 && body.status === 'ok' && body.checks?.db?.status === 'ok') {
        return { ms: Date.now() - started, body };
      }
      last = JSON.stringify(body);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`health not ok within ${limitMs} ms; last: ${last}`);
}

async function withPg<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: `postgres://postgres:postgres@127.0.0.1:${ports.PG_PORT}/postgres`,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expectStatus(res: { status: number; body: unknown }, status: number, what: string) {
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

const EVENTS = Number(process.env.SMOKE_EVENTS ?? 10_000);
const BATCH = 100;

let child: ChildProcess | undefined;
let failed = false;
try {
  child = start();
  const first = await waitHealthy(90_000);
  console.log(`[smoke] healthy after ${first.ms} ms: ${JSON.stringify(first.body)}`);

  // A new user's first minutes: sign up, create an ingest key, send traffic.
  const email = `smoke-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  const signup = await api('/v1/auth/signup', { body: { tenantName: 'Smoke Co', email, password } });
  expectStatus(signup, 201, 'signup');
  const token = String(signup.body.accessToken);
  const tenantId = String((signup.body.tenant as { id: string }).id);
  const key = await api('/v1/api-keys', { token, body: { name: 'smoke', scopes: ['ingest', 'read'] } });
  expectStatus(key, 201, 'create api key');
  const apiKey = String(key.body.key);

  // Refused bodies leave the connection usable (checked on a tenant of its own, so the counts below stay exact).
  const other = await api('/v1/auth/signup', {
    body: { tenantName: 'Smoke Keepalive', email: `keepalive-${Date.now()}@example.com`, password },
  });
  expectStatus(other, 201, 'signup (keep-alive tenant)');
  const otherKey = await api('/v1/api-keys', {
    token: String(other.body.accessToken),
    body: { name: 'keepalive', scopes: ['ingest'] },
  });
  expectStatus(otherKey, 201, 'create api key (keep-alive tenant)');
  for (const line of await checkRefusalsKeepConnection(base, String(otherKey.body.key))) console.log(`[smoke] ${line}`);

  const started = Date.now();
  const now = Date.now();
  let rateLimited = 0;
  for (let b = 0; b < EVENTS / BATCH; b++) {
    const events = Array.from({ length: BATCH }, (_, i) => ({
      id: `smoke-${b}-${i}`,
      timestamp: now - 60_000 + ((b * BATCH + i) % 60_000),
      source: b % 2 ? 'stripe' : 'openai',
      endpoint: 'POST /v1/charges',
      status: i % 10 === 0 ? 503 : 200,
      latencyMs: 10 + (i % 50),
    }));
    let res: Response;
    // A well-behaved client: on 429 wait for Retry-After and send the same batch again.
    for (;;) {
      res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ events }),
      });
      if (res.status !== 429) break;
      rateLimited++;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    }
    const body = (await res.json()) as { accepted?: number };
    if (res.status !== 202 || body.accepted !== BATCH)
      throw new Error(`ingest batch ${b}: ${res.status} ${JSON.stringify(body)}`);
  }
  console.log(
    `[smoke] ${EVENTS} events acknowledged in ${Date.now() - started} ms (${rateLimited} answers were 429, retried after Retry-After)`,
  );

  // Redeliver one batch with the same ids: stored once.
  const again = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ events: [{ id: 'smoke-0-0', timestamp: now - 60_000, source: 'openai', status: 200 }] }),
  });
  if (again.status !== 202) throw new Error(`duplicate ingest: ${again.status}`);

  const counts = () =>
    withPg(async (c) => {
      const rows = await c.query<{ events: number; rollups: number }>(
        `SELECT (SELECT count(*)::int FROM events WHERE tenant_id = $1) AS events,
                (SELECT coalesce(sum(count), 0)::int FROM event_rollups_1m WHERE tenant_id = $1) AS rollups`,
        [tenantId],
      );
      return rows.rows[0] ?? { events: -1, rollups: -1 };
    });
  let seen = { events: 0, rollups: 0 };
  const waitStarted = Date.now();
  while (Date.now() - waitStarted < 120_000) {
    seen = await counts();
    if (seen.events >= EVENTS) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // Give a redelivered or duplicate message the chance to (wrongly) add rows before checking exactness.
  await new Promise((r) => setTimeout(r, 2_000));
  seen = await counts();
  if (seen.events !== EVENTS || seen.rollups !== EVENTS) {
    throw new Error(`expected ${EVENTS} events and rollup total ${EVENTS}, found ${JSON.stringify(seen)}`);
  }
  console.log(
    `[smoke] stored exactly once: ${seen.events} rows, rollup total ${seen.rollups} (${Date.now() - started} ms end to end)`,
  );
  await stop(child);

  child = start();
  const second = await waitHealthy(90_000);
  console.log(`[smoke] healthy again after restart in ${second.ms} ms`);
  const login = await api('/v1/auth/login', { body: { email, password } });
  expectStatus(login, 200, 'login after restart');
  const summary = await api(
    `/v1/metrics/summary?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
    { token: String(login.body.accessToken) },
  );
  expectStatus(summary, 200, 'summary after restart');
  if (summary.body.count !== EVENTS) throw new Error(`summary count after restart: ${JSON.stringify(summary.body)}`);
  console.log(`[smoke] data survived the restart: login works, summary count ${summary.body.count}`);
} catch (err) {
  failed = true;
  console.error(`[smoke] FAILED: ${(err as Error).message}`);
} finally {
  if (child) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
