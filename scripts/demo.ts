// `npm run demo`: the platform with a living dashboard in one command. Starts `npm run dev` (or uses DEMO_URL),
// creates a demo workspace, prints its login, and streams synthetic traffic (scripts/lib/demo-traffic.ts) until
// Ctrl-C. DEMO_RATE sets events per second (default 20).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { demoBatch, seededRandom } from './lib/demo-traffic';

const root = join(import.meta.dirname, '..');
const rate = Math.max(1, Number(process.env.DEMO_RATE ?? 20));
const TICK_MS = 500;
const log = (msg: string) => console.log(`[demo] ${msg}`);

let child: ChildProcess | undefined;
let base = process.env.DEMO_URL?.replace(/\/$/, '');
if (!base) {
  base = `http://127.0.0.1:${process.env.PORT ?? 8787}`;
  // The per-request log lines would bury the login this script prints.
  child = spawn('npm', ['run', 'dev'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  child.on('exit', (code) => {
    if (!stopping) {
      log(`npm run dev exited (${code}); stopping`);
      process.exit(code ?? 1);
    }
  });
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    process.kill(-child.pid, 'SIGINT');
    const timer = setTimeout(() => child?.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

const deadline = Date.now() + 180_000;
for (;;) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) {
    log(`${base} did not become healthy within 180 s`);
    await stop();
  }
  await new Promise((r) => setTimeout(r, 500));
}

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const email = `demo-${stamp}@example.com`;
const password = randomBytes(12).toString('base64url');
const workspace = `Demo ${stamp}`;
const signup = await post<{ accessToken: string; tenant: { slug: string } }>('/v1/auth/signup', {
  tenantName: workspace,
  email,
  password,
});
const key = await post<{ key: string }>(
  '/v1/api-keys',
  { name: 'demo traffic', scopes: ['ingest'] },
  signup.accessToken,
);
log(`demo workspace ready. Open ${base}/ and log in with
      email      ${email}
      password   ${password}
      workspace  ${signup.tenant.slug}
    streaming about ${rate} events/s (several providers, an error burst every 2 minutes); Ctrl-C stops.`);

const random = seededRandom(Date.now() & 0xffffffff);
let sent = 0;
let lastReport = Date.now();
let carry = 0;
while (!stopping) {
  const started = Date.now();
  carry += (rate * TICK_MS) / 1000;
  const count = Math.floor(carry);
  carry -= count;
  if (count > 0) {
    try {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: demoBatch(random, Date.now(), count) }),
      });
      if (res.status === 202) sent += ((await res.json()) as { accepted: number }).accepted;
      else log(`ingest answered ${res.status}; retrying on the next tick`);
    } catch (err) {
      log(`ingest failed: ${(err as Error).message}`);
    }
  }
  if (Date.now() - lastReport >= 30_000) {
    log(`${sent} events sent`);
    lastReport = Date.now();
  }
  await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - started))));
}
