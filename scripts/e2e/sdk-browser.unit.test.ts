/**
 * @pulsestream/sdk in a real browser (headless Chromium): the SDK compiled as published (tsc, ESM, no bundler)
 * and loaded by a page; events are batched, gzipped by the browser's CompressionStream, and an instrumented
 * cross-origin fetch is recorded. Skipped, and says so, where /usr/bin/chromium is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '..', '..');

describe.skipIf(!existsSync(CHROMIUM))('@pulsestream/sdk in headless Chromium', () => {
  let dir: string;
  let site: Server;
  let api: Server;
  const received: { encoding: string; events: Record<string, unknown>[] }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ps-sdk-browser-'));
    const build = spawnSync('npx', ['tsc', '-p', 'packages/sdk/tsconfig.build.json', '--outDir', join(dir, 'dist')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    api = createServer((_req, res) => {
      res.writeHead(201, { 'access-control-allow-origin': '*' }).end('ok');
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const apiPort = (api.address() as AddressInfo).port;
    site = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><pre id="out">pending</pre>
<script type="module">
import { PulseStream } from '/dist/index.js';
const ps = new PulseStream({ apiKey: 'ps_live_browser', endpoint: location.origin });
for (let i = 0; i < 30; i++) ps.track({ source: 'stripe', endpoint: 'POST /v1/charges', status: 200, latencyMs: i });
const f = ps.instrumentFetch(fetch, { sources: { '127.0.0.1': 'acme' } });
await f('http://127.0.0.1:${apiPort}/v1/customers/cus_123?secret=1', { method: 'POST' });
await ps.close();
document.getElementById('out').textContent = JSON.stringify(ps.stats());
</script>`);
        return;
      }
      if (req.method === 'GET' && req.url?.startsWith('/dist/') && /^\/dist\/[a-z-]+\.js$/.test(req.url)) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, req.url)));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/events') {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = req.headers['content-encoding'] ?? 'identity';
        const text = encoding === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        const events = (JSON.parse(text) as { events: Record<string, unknown>[] }).events;
        received.push({ encoding, events });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: events.length, rejected: [], ids: events.map((e) => e.id) }));
      });
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  }, 60_000);

  afterAll(async () => {
    site?.closeAllConnections();
    api?.closeAllConnections();
    await Promise.all([site, api].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('batches, gzips and records an instrumented fetch', async () => {
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    const chrome = spawn(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=10000', '--dump-dom', url],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let dom = '';
    chrome.stdout.on('data', (d: Buffer) => {
      dom += d.toString();
    });
    const code = await new Promise<number | null>((r) => chrome.once('exit', r));
    expect(code).toBe(0);
    const stats = JSON.parse(/<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1] ?? 'null');
    expect(stats).toMatchObject({ tracked: 31, sent: 31, dropped: 0, failed: 0, pending: 0 });
    expect(received.map((r) => [r.encoding, r.events.length])).toEqual([['gzip', 31]]);
    const call = received[0]?.events.at(-1);
    expect(call).toMatchObject({ type: 'api_call', source: 'acme', endpoint: 'POST /v1/customers/:id', status: 201 });
    expect(JSON.stringify(call)).not.toContain('secret');
  }, 60_000);
});
