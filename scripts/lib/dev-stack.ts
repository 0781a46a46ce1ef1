// A dev stack for scripts that drive the Worker from outside (benchmarks, end-to-end checks): `npm run dev` on
// free ports with a temporary data folder, or a stack that is already running (BENCH_URL + BENCH_PG_URL).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@pulsestream/core/hex';
import pg from 'pg';
import { findFreePort } from './ports';

const root = join(import.meta.dirname, '..', '..');

export interface Stack {
  base: string;
  pgUrl: string;
  /** Process group of the stack (for CPU accounting); undefined for a stack this script did not start. */
  pgid?: number;
  stop(): Promise<void>;
}

/** Starts (or reuses) a dev stack and waits until /health answers 200. */
export async function startStack(): Promise<Stack> {
  if (process.env.BENCH_URL) {
    const pgUrl = process.env.BENCH_PG_URL;
    if (!pgUrl) throw new Error('BENCH_PG_URL is required with BENCH_URL (to create the benchmark tenant)');
    const pgid = process.env.BENCH_STACK_PGID ? Number(process.env.BENCH_STACK_PGID) : undefined;
    return { base: process.env.BENCH_URL, pgUrl, pgid, stop: async () => undefined };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'ps-bench-'));
  const ports = {
    PORT: await findFreePort(),
    PG_PORT: await findFreePort(),
    DB_PROXY_PORT: await findFreePort(),
    INSPECTOR_PORT: await findFreePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, PS_DATA_DIR: dataDir };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  // The embedded database by default; BENCH_DATABASE_URL puts a native PostgreSQL behind the same stack.
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  // The Worker logs a line per request: to a file, not a terminal that would slow the benchmark down.
  const logFile = join(dataDir, 'stack.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn('npm', ['run', 'dev'], {
    cwd: root,
    env,
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  const base = `http://127.0.0.1:${ports.PORT}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGINT');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // Errors the Worker logged during the run, so a non-202 answer can be explained.
    const lines = readFileSync(logFile, 'utf8').split('\n');
    const errors = lines.filter((l) => l.includes('"level":"error"'));
    if (errors.length > 0) console.error(`[bench] ${errors.length} error lines in the Worker log, first: ${errors[0]}`);
    // wrangler dev rebuilds when a source file changes (say, another developer's edit in the same tree); while
    // it reloads, its proxy answers 503, which is the stack restarting, not the ingest path refusing.
    const reloads = lines.filter((l) => /reloading/i.test(l)).length;
    if (reloads > 0) console.error(`[bench] wrangler dev reloaded ${reloads} time(s) during the run`);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    // `npm run dev` builds the dashboard first: on a busy shared machine that alone can take minutes.
    if (Date.now() - started > 300_000) {
      await stop();
      throw new Error('the dev stack did not become healthy within 300 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    pgUrl: databaseUrl ?? `postgres://postgres:postgres@127.0.0.1:${ports.PG_PORT}/postgres`,
    pgid: child.pid,
    stop,
  };
}

/**
 * The bare hello-world Worker (scripts/bench/hello-worker) under its own `wrangler dev`, started with the same
 * wrangler, flags and environment as the stack's, or the one at BENCH_HELLO_URL. Miniflare can serve both
 * Workers from one `wrangler dev` (`-c a.toml -c b.toml`), but its route override (`MF-Route-Override`) is
 * consumed by wrangler's own proxy, so the second Worker cannot be reached through the same port without
 * adding a route to the app; a second instance is the same code path, proxy and runtime.
 */
export async function startHelloWorker(): Promise<Stack> {
  if (process.env.BENCH_HELLO_URL) {
    const pgid = process.env.BENCH_HELLO_PGID ? Number(process.env.BENCH_HELLO_PGID) : undefined;
    return { base: process.env.BENCH_HELLO_URL, pgUrl: '', pgid, stop: async () => undefined };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'ps-bench-hello-'));
  const port = await findFreePort();
  const inspectorPort = await findFreePort();
  const logFd = openSync(join(dataDir, 'hello.log'), 'a');
  const child = spawn(
    join(root, 'node_modules', '.bin', 'wrangler'),
    [
      'dev',
      '-c',
      join(root, 'scripts', 'bench', 'hello-worker', 'wrangler.toml'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(dataDir, 'wrangler'),
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: root,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
      stdio: ['ignore', logFd, logFd],
      detached: true,
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGINT');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(base)).status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 120_000) {
      await stop();
      throw new Error('the hello-world Worker did not answer within 120 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { base, pgUrl: '', pgid: child.pid, stop };
}

/** A tenant with limits far above what the benchmark can send, and an ingest key for it. */
export async function createTenant(pgUrl: string): Promise<{ tenantId: string; key: string }> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const key = `ps_live_${Array.from(randomBytes(43), (b) => alphabet[b % 62]).join('')}`;
    const keyHash = await sha256Hex(key);
    const slug = `bench-${Date.now()}`;
    const t = await client.query<{ id: string }>(
      `INSERT INTO tenants (name, slug, monthly_event_quota, rate_limit_per_sec, rate_limit_burst)
       VALUES ($1, $1, 1000000000000, 100000000, 100000000) RETURNING id`,
      [slug],
    );
    const tenantId = t.rows[0]?.id;
    if (!tenantId) throw new Error('tenant insert returned nothing');
    await client.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes) VALUES ($1, 'bench', $2, $3, $4)`,
      [tenantId, key.slice(0, 12), keyHash, ['ingest', 'read']],
    );
    return { tenantId, key };
  } finally {
    await client.end();
  }
}
