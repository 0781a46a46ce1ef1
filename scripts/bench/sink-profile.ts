// Where the server's time goes in one of the sink benchmark's statements (scripts/bench/sink.ts): the
// insertEvents statement of one 10,000-row batch, on a database that already holds the earlier batches of the
// same run (so the rollup upserts take their UPDATE path, as they do in the benchmark), measured as
//   1. the backend's own CPU (/proc/<pid>/schedstat; the server must run on this machine) for the input alone,
//      a COPY of the same rows, plain INSERT, INSERT … ON CONFLICT, then the statement with parts removed
//      (events only; + the rollups of event_rollups_1m; + event_rollups_agg_1m with its trigger off through
//      session_replication_role; the whole statement), each inside a rolled-back transaction, interleaved;
//   2. pg_stat_user_functions over full statements (track_functions = all): the trigger and the ps_* functions
//      that are not inlined (wall-clock times: inflated when the machine is busy);
//   3. EXPLAIN (ANALYZE, BUFFERS, VERBOSE) of the whole statement (BENCH_PLAN=0 leaves it out).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/<db> npx tsx scripts/bench/sink-profile.ts
//
// Knobs: BENCH_BATCH (10000), BENCH_PRELOAD (10 batches written before the measured one), BENCH_REPEAT (7), and
// a candidate change measured in the same run (BENCH_CANDIDATE_SQL, _REPLACE, _PRE: see below). It truncates
// events and both rollup tables of that database: point it at a scratch one.

import { readFileSync, rmSync } from 'node:fs';
import { type EventInsert, insertEvents } from '@pulsestream/db';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { migrateUrl } from '../lib/migrations';
import { makeRows } from './sink-rows';

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL');
const batchSize = Number(process.env.BENCH_BATCH ?? 10_000);
const preload = Number(process.env.BENCH_PRELOAD ?? 10);
const repeat = Number(process.env.BENCH_REPEAT ?? 7);
const showPlan = process.env.BENCH_PLAN !== '0';

/** The statement insertEvents sends for a batch, as text and parameters (captured, not executed). */
async function statementOf(rows: EventInsert[]): Promise<{ sql: string; params: unknown[] }> {
  let captured: unknown;
  const fake = {
    execute: async (q: unknown) => {
      captured = q;
      return { rows: [{ n: rows.length, ids: null }] };
    },
  };
  await insertEvents(fake as never, rows);
  // biome-ignore lint/suspicious/noExplicitAny: the captured drizzle SQL object
  const q = new PgDialect().sqlToQuery(captured as any);
  return { sql: q.sql, params: q.params };
}

/** The parameters a text uses ($1 … $n: drizzle numbers them in order). */
function paramsOf(text: string, params: unknown[]): unknown[] {
  const used = [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  return params.slice(0, Math.max(0, ...used));
}

/** The statement with the named data-modifying CTEs removed (they run even when nothing references them). */
function without(statement: string, ctes: string[]): string {
  let s = statement;
  for (const name of ctes) {
    const start = s.indexOf(`\n    ), ${name} AS (`);
    if (start < 0) throw new Error(`no CTE ${name}`);
    // It ends where the next CTE starts or the WITH list closes.
    const end = s.slice(start + 1).search(/\n {4}\)/) + start + 1;
    s = s.slice(0, start) + s.slice(end);
  }
  return s;
}

const client = new pg.Client({ connectionString: url });
await migrateUrl(url);
await client.connect();
try {
  await client.query('TRUNCATE events, event_rollups_1m, event_rollups_agg_1m');
  const all = makeRows(batchSize * (preload + 1), 'profile');
  for (let b = 0; b < preload; b++) {
    const q = await statementOf(all.slice(b * batchSize, (b + 1) * batchSize));
    await client.query(q.sql, q.params);
  }
  await client.query('VACUUM ANALYZE events, event_rollups_1m, event_rollups_agg_1m');
  const measured = all.slice(preload * batchSize);
  const full = await statementOf(measured);
  const rollupsRows = await client.query(
    'SELECT (SELECT count(*) FROM event_rollups_1m) AS r1m, (SELECT count(*) FROM event_rollups_agg_1m) AS agg',
  );
  console.log(`preloaded ${preload} batches of ${batchSize}: rollup rows`, rollupsRows.rows[0]);

  // The same rows as plain inserts, for scale: the input alone, INSERT without and with ON CONFLICT, and COPY.
  const inputEnd = full.sql.indexOf('\n    ), ins AS (');
  const withInput = full.sql.slice(0, inputEnd + 6);
  const insStart = full.sql.indexOf('INSERT INTO events');
  const insertText = full.sql.slice(insStart, full.sql.indexOf('ON CONFLICT DO NOTHING', insStart));
  const csv = `/tmp/sink-profile-${process.pid}.csv`;
  await client.query('BEGIN');
  await client.query(`${withInput} ${insertText}`, paramsOf(withInput, full.params));
  await client.query(
    `COPY (SELECT * FROM events WHERE xmin::text = (txid_current() % 4294967296)::text) TO '${csv}' WITH (FORMAT csv)`,
  );
  await client.query('ROLLBACK');
  // A candidate change, measured in the same run: BENCH_CANDIDATE_SQL (a file run once, e.g. defining
  // ps_sketch_merge_v2), BENCH_CANDIDATE_REPLACE ("a=>b;c=>d": text replaced in the statement) and
  // BENCH_CANDIDATE_PRE (SQL run inside the measured transaction first, e.g. swapping a trigger).
  const candidateSql = process.env.BENCH_CANDIDATE_SQL;
  if (candidateSql) await client.query(readFileSync(candidateSql, 'utf8'));
  let candidate = full.sql;
  for (const pair of (process.env.BENCH_CANDIDATE_REPLACE ?? '').split(';').filter(Boolean)) {
    const [from = '', to = ''] = pair.split('=>');
    candidate = candidate.replaceAll(from, to);
  }
  const candidatePre = process.env.BENCH_CANDIDATE_PRE ?? '';
  const variants: [string, string, string][] = [
    ['input only (parse the parameters, unnest)', `${withInput} SELECT count(*) FROM input`, ''],
    ['COPY of the same rows (server-side CSV)', `COPY events FROM '${csv}' WITH (FORMAT csv)`, ''],
    ['INSERT … SELECT FROM input', `${withInput} ${insertText}`, ''],
    ['INSERT … ON CONFLICT DO NOTHING', `${withInput} ${insertText} ON CONFLICT DO NOTHING`, ''],
    ['events only (INSERT … RETURNING)', without(full.sql, ['buckets', 'rollup', 'agg']), ''],
    ['+ buckets → event_rollups_1m', without(full.sql, ['agg']), ''],
    ['+ event_rollups_agg_1m, trigger disabled', full.sql, 'SET LOCAL session_replication_role = replica'],
    ['whole statement', full.sql, ''],
    ...(candidateSql || candidate !== full.sql || candidatePre
      ? ([['whole statement, candidate', candidate, candidatePre]] as [string, string, string][])
      : []),
  ];
  // The backend's own CPU time (ns on CPU, /proc/<pid>/schedstat): the server's cost, not the client's or the
  // wire's, and independent of how busy the machine is.
  const backend = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const cpuNs = () => Number(readFileSync(`/proc/${backend}/schedstat`, 'utf8').split(' ')[0]);
  const timeOnce = async (text: string, pre: string): Promise<number> => {
    await client.query('BEGIN');
    try {
      if (pre) await client.query(pre);
      const t0 = cpuNs();
      await client.query(text, paramsOf(text, full.params));
      return (cpuNs() - t0) / 1e6;
    } finally {
      await client.query('ROLLBACK');
    }
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const least = (xs: number[]) => Math.min(...xs);
  const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < repeat; r++) {
    for (const [name, text, pre] of variants) results.get(name)?.push(await timeOnce(text, pre));
  }
  console.log(
    `\nvariants, the backend's CPU, median of ${repeat} (interleaved), ${batchSize} rows: ms, µs per row, µs per row more than the line before, the least µs per row:`,
  );
  let prev = 0;
  for (const [name] of variants) {
    const ms = median(results.get(name) ?? []);
    const min = least(results.get(name) ?? []);
    console.log(
      `| ${name} | ${ms.toFixed(1)} ms | ${((ms * 1000) / batchSize).toFixed(2)} | +${(((ms - prev) * 1000) / batchSize).toFixed(2)} | min ${((min * 1000) / batchSize).toFixed(2)} |`,
    );
    prev = ms;
  }

  // Functions: full statements with track_functions = all.
  await client.query("SET track_functions = 'all'");
  await client.query('SELECT pg_stat_reset()');
  for (let r = 0; r < repeat; r++) {
    await client.query('BEGIN');
    await client.query(full.sql, full.params);
    await client.query('ROLLBACK');
  }
  await client.query('SELECT pg_sleep(0.6)'); // stats are flushed at most every 500 ms (PG 15)
  const fns = await client.query(
    `SELECT funcname, calls, round(total_time::numeric, 1) AS total_ms, round(self_time::numeric, 1) AS self_ms
     FROM pg_stat_user_functions ORDER BY total_time DESC`,
  );
  console.log(`\nfunctions over ${repeat} statements:`);
  for (const f of fns.rows) {
    console.log(`| ${f.funcname} | ${f.calls} calls | total ${f.total_ms} ms | self ${f.self_ms} ms |`);
  }
  await client.query("SET track_functions = 'none'");

  if (showPlan) {
    await client.query('BEGIN');
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, VERBOSE) ${full.sql}`, full.params);
    await client.query('ROLLBACK');
    console.log('\nEXPLAIN (ANALYZE, BUFFERS, VERBOSE) of the whole statement:');
    for (const row of plan.rows) console.log(row['QUERY PLAN']);
  }
} finally {
  rmSync(`/tmp/sink-profile-${process.pid}.csv`, { force: true });
  await client.end();
}
