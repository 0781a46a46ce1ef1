// Sink benchmark: the events consumer's write path (`insertEvents`: one set-based INSERT … SELECT FROM unnest(…)
// ON CONFLICT DO NOTHING plus the minute rollups and latency sketches, in one statement) against a real
// PostgreSQL 15, next to a raw server-side COPY of the same rows in the same run.
//
//   npx tsx scripts/bench/sink.ts                       # starts its own PostgreSQL 15 from /usr/lib/postgresql/15/bin
//   BENCH_DATABASE_URL=postgres://… npx tsx scripts/bench/sink.ts   # uses an existing, migrated-on-the-fly server
//
// Knobs: BENCH_ROWS (200000), BENCH_BATCH (10000 = one consumer batch: 100 messages × 100 events),
// BENCH_CONCURRENCY (1,4,8: consumer invocations writing at once), BENCH_ROUNDS (3). The driver path is the
// Worker's own: the Neon serverless driver through the WebSocket-to-TCP proxy the dev stack uses.
//
// Each round writes the rows with insertEvents at every concurrency, then COPYs the same number of rows, so
// background load on a shared machine falls on both alike; rates pool the rounds (rows over summed seconds),
// and each ratio to COPY is over the same rounds. The load average is printed with the figures. On a busy
// machine the ratio of rates depends on how the scheduler shares the cores (four writers get more of them than
// one COPY), so the CPU each path spends per row is printed too: the PostgreSQL server's (postmaster and its
// children, from /proc) and, for insertEvents, this process's (the driver and the WebSocket proxy).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { neonConfig } from '@neondatabase/serverless';
import { type EventInsert, insertEvents, openDb } from '@pulsestream/db';
import pg from 'pg';
import WebSocket from 'ws';
import { migrateUrl } from '../lib/migrations';
import { parentPid, treeCpuSeconds } from '../lib/proc-cpu';
import { startWsProxy } from '../lib/ws-proxy';
import { makeRows } from './sink-rows';

const totalRows = Number(process.env.BENCH_ROWS ?? 200_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 10_000);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,4,8').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const PG_BIN = '/usr/lib/postgresql/15/bin';

async function freePortBelow(limit: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (limit - 20_000));
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found');
}

function asPostgres(cmd: string): void {
  const isRoot = process.getuid?.() === 0;
  execFileSync(isRoot ? 'su' : 'bash', isRoot ? ['postgres', '-s', '/bin/bash', '-c', cmd] : ['-c', cmd], {
    stdio: 'ignore',
  });
}

async function startPostgres(): Promise<{ url: string; dir: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-sink-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePortBelow(32_768);
  asPostgres(`${PG_BIN}/initdb -D '${dir}/data' -U postgres --auth=trust -E UTF8`);
  // Durable defaults (fsync on, synchronous_commit on): the figures are for a real server, not a ramdisk.
  asPostgres(
    `${PG_BIN}/pg_ctl -D '${dir}/data' -o "-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" -l '${dir}/pg.log' -w start`,
  );
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    dir,
    stop() {
      try {
        asPostgres(`${PG_BIN}/pg_ctl -D '${dir}/data' -m fast stop`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(rows: EventInsert[]): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return rows
    .map((r) =>
      [
        r.tenantId,
        r.id,
        iso(r.timestamp),
        iso(r.receivedAt),
        r.type,
        r.source,
        r.endpoint,
        r.method,
        r.status,
        r.latencyMs,
        r.country ?? null,
        r.region ?? null,
        r.city ?? null,
        r.colo ?? null,
        r.asn ?? null,
        r.properties === null ? null : JSON.stringify(r.properties),
      ]
        .map(csvField)
        .join(','),
    )
    .join('\n');
}

async function reset(client: pg.Client): Promise<void> {
  await client.query(
    'TRUNCATE events, event_rollups_1m' +
      ((await client.query("SELECT to_regclass('event_latency_1m') AS t")).rows[0]?.t ? ', event_latency_1m' : ''),
  );
  await client.query('CHECKPOINT');
}

async function counts(client: pg.Client): Promise<{ events: number; rollups: number }> {
  const r = await client.query<{ e: string; r: string }>(
    'SELECT (SELECT count(*) FROM events)::text AS e, (SELECT coalesce(sum(count), 0) FROM event_rollups_1m)::text AS r',
  );
  return { events: Number(r.rows[0]?.e), rollups: Number(r.rows[0]?.r) };
}

const external = process.env.BENCH_DATABASE_URL;
const server = external ? null : await startPostgres();
const url = external ?? server?.url ?? '';
const proxyPort = await freePortBelow(32_768);
const proxy = await startWsProxy({ port: proxyPort });
neonConfig.webSocketConstructor = WebSocket;
const client = new pg.Client({ connectionString: url });
let exitCode = 0;
try {
  await migrateUrl(url);
  await client.connect();
  const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadAtStart = load();
  const seconds = new Map<number, number>(concurrencies.map((c) => [c, 0]));
  let copySeconds = 0;
  // CPU seconds: the server's, and this process's (client), per path.
  const backend = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const postmaster = parentPid(backend);
  const serverCpu = new Map<number, number>(concurrencies.map((c) => [c, 0]));
  const clientCpu = new Map<number, number>(concurrencies.map((c) => [c, 0]));
  let copyServerCpu = 0;
  const add = (m: Map<number, number>, k: number, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  const writeWithInsertEvents = async (concurrency: number, round: number): Promise<number> => {
    await reset(client);
    const rows = makeRows(totalRows, `r${round}c${concurrency}`);
    const batches: EventInsert[][] = [];
    for (let i = 0; i < rows.length; i += batchSize) batches.push(rows.slice(i, i + batchSize));
    const handles = Array.from({ length: concurrency }, () =>
      openDb({ databaseUrl: url, wsProxy: `127.0.0.1:${proxyPort}` }),
    );
    // Warm the connections (and the plan cache) outside the timed section.
    await Promise.all(handles.map((h) => insertEvents(h.db, makeRows(10, `warm-${Math.random()}`))));
    await reset(client);
    let next = 0;
    const server0 = treeCpuSeconds(postmaster);
    const client0 = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      handles.map(async (h) => {
        for (let b = batches[next++]; b !== undefined; b = batches[next++]) await insertEvents(h.db, b);
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    add(serverCpu, concurrency, treeCpuSeconds(postmaster) - server0);
    const used = process.cpuUsage(client0);
    add(clientCpu, concurrency, (used.user + used.system) / 1e6);
    await Promise.all(handles.map((h) => h.close()));
    const c = await counts(client);
    if (c.events !== totalRows || c.rollups !== totalRows) {
      throw new Error(`insertEvents stored ${c.events} rows with rollups ${c.rollups}, expected ${totalRows}`);
    }
    return elapsed;
  };

  // Raw COPY of the same rows: server-side from a CSV file, so no client cost is counted against it.
  const dir = mkdtempSync(join(tmpdir(), 'ps-sink-csv-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'events.csv');
  writeFileSync(file, toCsv(makeRows(totalRows, 'copy')));
  chmodSync(file, 0o644);
  const writeWithCopy = async (): Promise<number> => {
    await reset(client);
    const server0 = treeCpuSeconds(postmaster);
    const started = performance.now();
    await client.query(
      `COPY events (tenant_id, id, ts, received_at, type, source, endpoint, method, status, latency_ms, country, region,
                    city, colo, asn, properties) FROM '${file}' WITH (FORMAT csv)`,
    );
    const elapsed = (performance.now() - started) / 1000;
    copyServerCpu += treeCpuSeconds(postmaster) - server0;
    const copied = await counts(client);
    if (copied.events !== totalRows) throw new Error(`COPY stored ${copied.events} rows`);
    return elapsed;
  };

  try {
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of concurrencies) {
        seconds.set(concurrency, (seconds.get(concurrency) ?? 0) + (await writeWithInsertEvents(concurrency, round)));
      }
      copySeconds += await writeWithCopy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const copyRate = (totalRows * rounds) / copySeconds;

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `\nPostgreSQL ${version}, ${fmt(totalRows)} rows, batches of ${fmt(batchSize)} (one statement each), ${rounds} interleaved round(s)`,
  );
  console.log(`load average (1, 5, 15 min): ${loadAtStart} at start, ${load()} at end\n`);
  const us = (cpu: number) => ((cpu * 1e6) / (totalRows * rounds)).toFixed(1);
  const copyUs = (copyServerCpu * 1e6) / (totalRows * rounds);
  console.log(
    "| write path | rows/s | vs raw COPY (rate) | server CPU µs/row | client CPU µs/row | COPY's CPU / this CPU |",
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const concurrency of concurrencies) {
    const rate = (totalRows * rounds) / (seconds.get(concurrency) ?? Number.NaN);
    const server = serverCpu.get(concurrency) ?? 0;
    const clientSide = clientCpu.get(concurrency) ?? 0;
    const perRow = ((server + clientSide) * 1e6) / (totalRows * rounds);
    console.log(
      `| insertEvents (+ rollups, sketches), ${concurrency} writer(s) | ${fmt(rate)} | ${((rate / copyRate) * 100).toFixed(0)}% | ${us(server)} | ${us(clientSide)} | ${((copyUs / perRow) * 100).toFixed(0)}% |`,
    );
  }
  console.log(`| raw COPY (server-side CSV, no rollups) | ${fmt(copyRate)} | 100% | ${copyUs.toFixed(1)} | – | 100% |`);
} catch (err) {
  console.error(`[sink] failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 1;
} finally {
  await client.end().catch(() => undefined);
  await proxy.close();
  server?.stop();
}
process.exit(exitCode);
