// Runs the platform the way a new user does (`npm run dev`) and checks it from outside:
//   1. GET /health answers {"status":"ok"} with the database check ok, within 90 s;
//   2. data written before a restart is still there after it (embedded PGlite persists).
// Uses its own ports and data folder, so it can run next to a developer's stack. Exit code 0 = pass.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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

let child: ChildProcess | undefined;
let failed = false;
try {
  child = start();
  const first = await waitHealthy(90_000);
  console.log(`[smoke] healthy after ${first.ms} ms: ${JSON.stringify(first.body)}`);
  const marker = `smoke-${Date.now()}`;
  await withPg((c) => c.query(`INSERT INTO tenants (name, slug) VALUES ($1, $1)`, [marker]));
  await stop(child);

  child = start();
  const second = await waitHealthy(90_000);
  console.log(`[smoke] healthy again after restart in ${second.ms} ms`);
  const found = await withPg((c) => c.query('SELECT count(*)::int AS n FROM tenants WHERE slug = $1', [marker]));
  if (found.rows[0]?.n !== 1) throw new Error('row written before the restart is gone');
  console.log('[smoke] data survived the restart');
} catch (err) {
  failed = true;
  console.error(`[smoke] FAILED: ${(err as Error).message}`);
} finally {
  if (child) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
