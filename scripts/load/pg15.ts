// A native PostgreSQL 15 for the load and fuzz runs: started in a temporary folder (initdb refuses root, so
// as the postgres user when we are root), or an existing server attached by its data folder so a fault run
// can stop and restart it (CI reuses the server .ci/run started).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface Pg15 {
  url: string;
  port: number;
  dataDir: string;
  /** `pg_ctl stop -m fast`: every connection is cut, as a crash or failover would. */
  stop(): void;
  /** Starts the server again with the options it was first started with (postmaster.opts). */
  start(): void;
  /** Stops the server and removes its folder if this module created it. */
  destroy(): void;
}

function asPostgres(command: string): string {
  const isRoot = process.getuid?.() === 0;
  return execFileSync(
    isRoot ? 'su' : 'bash',
    isRoot ? ['postgres', '-s', '/bin/bash', '-c', command] : ['-c', command],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The postgres arguments of the running server, minus its -D, as one string for `pg_ctl -o`. */
export function savedOptions(dataDir: string): string {
  const line = readFileSync(join(dataDir, 'postmaster.opts'), 'utf8').trim();
  const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-D') {
      i++;
      continue;
    }
    out.push(args[i] ?? '');
  }
  return out.map((a) => (/^[\w=.,/:-]+$/.test(a) ? a : `"${a.replace(/"/g, '\\"')}"`)).join(' ');
}

function control(dataDir: string, logFile: string) {
  let options: string | undefined;
  return {
    stop() {
      options ??= savedOptions(dataDir);
      asPostgres(`${PG_BIN}/pg_ctl -D ${q(dataDir)} -m fast -w stop`);
    },
    start() {
      options ??= savedOptions(dataDir);
      asPostgres(`${PG_BIN}/pg_ctl -D ${q(dataDir)} -o ${q(options)} -l ${q(logFile)} -w start`);
    },
  };
}

/** initdb + start on 127.0.0.1:port in a fresh temporary folder. */
export function startPg15(port: number): Pg15 {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`PostgreSQL 15 not found in ${PG_BIN} (set PG_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'ps-load-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'pg.log');
  asPostgres(`${PG_BIN}/initdb -D ${q(dataDir)} -U postgres --auth=trust -E UTF8 >/dev/null`);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
  try {
    asPostgres(`${PG_BIN}/pg_ctl -D ${q(dataDir)} -o ${q(opts)} -l ${q(logFile)} -w start`);
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
  }
  const ctl = control(dataDir, logFile);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    ...ctl,
    destroy() {
      try {
        asPostgres(`${PG_BIN}/pg_ctl -D ${q(dataDir)} -m immediate -w stop`);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server someone else started (CI): stop/start work through its data folder; destroy leaves it running. */
export function attachPg15(url: string, dataDir: string): Pg15 {
  const logFile = join(dataDir, '..', 'pg-restart.log');
  const ctl = control(dataDir, logFile);
  return { url, port: Number(new URL(url).port), dataDir, ...ctl, destroy() {} };
}
