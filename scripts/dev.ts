// `npm run dev`: the whole platform on one machine with nothing but Node.
//   embedded Postgres (PGlite, data in .data/pglite) → migrations → WebSocket proxy → wrangler dev.
// DATABASE_URL replaces the embedded database. PORT (8787), PG_PORT (15432), DB_PROXY_PORT (15433) and
// INSPECTOR_PORT (9229) make every port configurable, so two stacks can run side by side.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationHistoryMismatchError } from '@pulsestream/db/migrator';
import { type EmbeddedDb, startEmbeddedDb } from './lib/embedded-db';
import { migrateUrl } from './lib/migrations';
import { isPortFree } from './lib/ports';
import { startWsProxy } from './lib/ws-proxy';

const root = join(import.meta.dirname, '..');
const port = Number(process.env.PORT ?? 8787);
const pgPort = Number(process.env.PG_PORT ?? 15432);
const proxyPort = Number(process.env.DB_PROXY_PORT ?? 15433);
const inspectorPort = Number(process.env.INSPECTOR_PORT ?? 9229);
const dataDir = process.env.PS_DATA_DIR ?? join(root, '.data');

const log = (msg: string) => console.log(`[dev] ${msg}`);

async function requireFree(name: string, p: number) {
  if (!(await isPortFree(p))) {
    console.error(`[dev] port ${p} (${name}) is in use; set ${name} to another port`);
    process.exit(1);
  }
}

await requireFree('PORT', port);
await requireFree('DB_PROXY_PORT', proxyPort);
await requireFree('INSPECTOR_PORT', inspectorPort);

let embedded: EmbeddedDb | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  await requireFree('PG_PORT', pgPort);
  embedded = await startEmbeddedDb({ port: pgPort, dataDir: join(dataDir, 'pglite') });
  databaseUrl = embedded.url;
  log(`embedded Postgres (PGlite) on 127.0.0.1:${pgPort}, data in ${join(dataDir, 'pglite')}`);
} else {
  log('using DATABASE_URL');
}

const migrated = await migrateUrl(databaseUrl).catch(async (err: unknown) => {
  if (!(err instanceof MigrationHistoryMismatchError)) throw err;
  // A database created before the migrations were squashed: say what to do instead of failing half-way.
  log(
    embedded
      ? `${err.message}\nThe embedded database is ${join(dataDir, 'pglite')}: delete it (rm -rf ${join(dataDir, 'pglite')}) and run npm run dev again.`
      : err.message,
  );
  await embedded?.stop();
  process.exit(1);
});
log(`migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already present`);

// Neon's own endpoints speak WebSocket; a local Postgres needs the proxy.
const dbHost = new URL(databaseUrl).hostname;
const isLocal = ['localhost', '127.0.0.1', '::1', '[::1]'].includes(dbHost);
const proxy = isLocal ? await startWsProxy({ port: proxyPort, log }) : undefined;
if (proxy) log(`WebSocket→TCP proxy on 127.0.0.1:${proxyPort}`);

// Local secrets live under .data (git-ignored) rather than .dev.vars, so `wrangler types` never sees them
// and the committed Env type does not drift on a developer's machine.
const devVars = join(dataDir, 'dev.vars');
if (!existsSync(devVars)) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(devVars, `JWT_SECRET=${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  log(`wrote ${devVars} with a fresh JWT_SECRET`);
}

const wrangler: ChildProcess = spawn(
  join(root, 'node_modules', '.bin', 'wrangler'),
  [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    join(dataDir, 'wrangler'),
    '--var',
    `DATABASE_URL:${databaseUrl}`,
    '--var',
    `DB_WS_PROXY:${proxy ? `127.0.0.1:${proxyPort}` : ''}`,
    // LOG_LEVEL=warn silences the per-request log line (benchmarks); the default comes from wrangler.toml.
    ...(process.env.LOG_LEVEL ? ['--var', `LOG_LEVEL:${process.env.LOG_LEVEL}`] : []),
    // The email channel's HTTP API (see docs/api.md, "Alerting"): passed through when set in the environment.
    // And the anomaly explanations' OpenAI settings (see docs/anomaly.md): without a key, the template is used.
    ...['EMAIL_API_URL', 'EMAIL_API_KEY', 'EMAIL_FROM', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL'].flatMap(
      (name) => (process.env[name] ? ['--var', `${name}:${process.env[name]}`] : []),
    ),
    '--env-file',
    devVars,
    '--show-interactive-dev-session=false',
  ],
  {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
  },
);

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('shutting down…');
  if (wrangler.exitCode === null) {
    const exited = new Promise((resolve) => wrangler.once('exit', resolve));
    wrangler.kill('SIGINT');
    const timer = setTimeout(() => wrangler.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await proxy?.close();
  await embedded?.stop();
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
wrangler.on('exit', (code) => void shutdown(code ?? 1));

// Announce the URLs once the Worker answers its health check.
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 240 && !stopping; i++) {
  try {
    const res = await fetch(`${base}/health`);
    if (res.ok) {
      log(`PulseStream is up:
      dashboard  ${base}/
      API        ${base}/v1
      health     ${base}/health
      OpenAPI    ${base}/openapi.json
      docs       ${base}/docs
      database   ${embedded ? `embedded PGlite ${databaseUrl}` : 'DATABASE_URL'}`);
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 500));
}
