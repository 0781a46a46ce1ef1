// A real Prometheus scraping a local stack: `promtool check metrics` on the exposition, then
// `sum(rate(pulsestream_events_total[1m]))` compared with the rate this script sends.
//
//   npx tsx scripts/bench/prometheus-rate.ts      # starts its own stack (npm run dev, free ports, temp data)
//
// Needs Debian's `prometheus` package (promtool and the server): `apt-get install -y prometheus`.
// Knobs: PROM_RATE (events/s, default 200), PROM_SECONDS (sending time, default 150), PROM_SCRAPE (5s).
// Exits 1 when promtool fails or a measured rate is off by more than 5%.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTenant, startStack } from '../lib/dev-stack';
import { findFreePort } from '../lib/ports';

const rate = Number(process.env.PROM_RATE ?? 200);
const seconds = Number(process.env.PROM_SECONDS ?? 150);
const scrape = process.env.PROM_SCRAPE ?? '5s';
const batch = 100;

function promtool(exposition: string): { ok: boolean; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

async function main(): Promise<void> {
  const stack = await startStack();
  const dir = mkdtempSync(join(tmpdir(), 'ps-prom-'));
  let prometheus: ChildProcess | undefined;
  let failed = false;
  try {
    const { key } = await createTenant(stack.pgUrl);
    const metricsUrl = `${stack.base}/v1/metrics/prometheus`;
    const send = async (n: number, offset: number) => {
      const now = Date.now();
      const events = Array.from({ length: n }, (_, i) => ({
        id: `prom-${offset + i}`,
        timestamp: now,
        source: i % 3 === 0 ? 'stripe' : i % 3 === 1 ? 'twilio' : 'openai',
        endpoint: i % 2 === 0 ? 'POST /v1/charges' : 'GET /v1/customers/:id',
        status: i % 10 === 0 ? 503 : 200,
        latencyMs: 20 + (i % 50) * 7,
      }));
      const res = await fetch(`${stack.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ events }),
      });
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    };

    // 1. promtool on the exposition, once there is data in every family.
    await send(batch, 0);
    let exposition = '';
    for (let i = 0; i < 100 && !exposition.includes('pulsestream_events_total{'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      exposition = await (await fetch(metricsUrl, { headers: { 'x-api-key': key } })).text();
    }
    const check = promtool(exposition);
    console.log(`promtool check metrics: ${check.ok ? 'OK' : 'FAILED'} ${check.output}`);
    console.log(`exposition: ${exposition.split('\n').length} lines, ${exposition.length} bytes`);
    if (!check.ok) failed = true;

    // 2. A real Prometheus scraping every 5 s.
    const promPort = await findFreePort();
    const target = new URL(stack.base);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${scrape}`,
        '  evaluation_interval: 5s',
        'scrape_configs:',
        '  - job_name: pulsestream',
        '    metrics_path: /v1/metrics/prometheus',
        '    authorization:',
        '      type: Bearer',
        `      credentials: ${key}`,
        '    static_configs:',
        `      - targets: ['${target.host}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    prometheus.stderr?.on('data', (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-4000);
    });
    const promUrl = `http://127.0.0.1:${promPort}`;
    const query = async (q: string): Promise<number | null> => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      const v = body.data?.result?.[0]?.value?.[1];
      return v === undefined ? null : Number(v);
    };
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${promUrl}/-/ready`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 150) throw new Error(`prometheus did not start: ${promLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // 3. Send at a fixed rate (batches of 100 on an absolute schedule, so the rate does not drift).
    const interval = (batch / rate) * 1000;
    const started = Date.now();
    let sent = batch;
    const samples: { at: number; measured: number }[] = [];
    let nextQuery = started + 90_000;
    for (let k = 0; Date.now() - started < seconds * 1000; k++) {
      const due = started + k * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await send(batch, sent);
      sent += batch;
      if (Date.now() >= nextQuery) {
        nextQuery += 15_000;
        const measured = await query('sum(rate(pulsestream_events_total[1m]))');
        if (measured !== null) {
          samples.push({ at: Math.round((Date.now() - started) / 1000), measured });
          console.log(`t=${samples.at(-1)?.at}s sum(rate(pulsestream_events_total[1m])) = ${measured.toFixed(2)} /s`);
        }
      }
    }
    const actual = (sent - batch) / ((Date.now() - started) / 1000);
    console.log(`sent ${sent - batch} events in ${seconds} s: ${actual.toFixed(2)} events/s (target ${rate})`);
    const up = await query('up{job="pulsestream"}');
    const scrapes = await query('count_over_time(up{job="pulsestream"}[2m])');
    console.log(`prometheus: up=${up}, scrapes in the last 2m=${scrapes}`);
    if (samples.length === 0) {
      console.log('no rate sample was taken');
      failed = true;
    }
    for (const s of samples) {
      const error = Math.abs(s.measured - actual) / actual;
      console.log(
        `t=${s.at}s measured ${s.measured.toFixed(2)} vs sent ${actual.toFixed(2)}: ${(error * 100).toFixed(2)}% off`,
      );
      if (error > 0.05) failed = true;
    }
    const hist = await query(
      'histogram_quantile(0.95, sum by (le) (rate(pulsestream_request_duration_seconds_bucket[1m])))',
    );
    console.log(`histogram_quantile(0.95, …pulsestream_request_duration_seconds…) = ${hist} s`);
  } finally {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(failed ? 'RESULT: FAILED' : 'RESULT: OK');
  process.exit(failed ? 1 : 0);
}

await main();
