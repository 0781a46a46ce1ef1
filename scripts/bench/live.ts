/**
 * Live benchmark against a running stack (`npm run dev`, i.e. wrangler dev with local Durable Objects and
 * Queues):
 *
 * 1. Freshness: the time from the 202 of `POST /v1/events` to the event's appearance on a live socket, for
 *    `--events` single-event requests spaced `--gap` ms apart. Includes the queue's batching (wrangler.toml:
 *    max_batch_timeout = 1 s), the consumer's Postgres write, the hub RPC and the 250 ms coalescing.
 * 2. Fan-out: `--sockets` live sockets; for each of `--rounds` metrics frames, the time from the hub starting
 *    the flush (the frame's `t`, same machine clock) to each socket receiving it. Reports p50/p99 over all
 *    (socket, frame) pairs and the per-round time until the last socket had it.
 *
 * WebSocket compression: the Worker refuses permessage-deflate (wrangler.toml `no_web_socket_compression`), so
 * on Cloudflare a dashboard's socket carries uncompressed frames whatever the browser offers. Under `wrangler
 * dev`, though, every socket passes through wrangler's own ProxyWorker, a separate workerd with an older
 * compatibility date that negotiates permessage-deflate with the client itself, and then compresses every frame
 * once per socket (and this one Node process inflates them all). So by default the client does not offer
 * deflate, which gives the wire the production Worker would give; `--deflate` offers it, to measure the proxy.
 *
 *   tsx scripts/bench/live.ts [--url http://127.0.0.1:8787] [--events 100] [--sockets 1000] [--rounds 10] [--deflate]
 */
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8787' },
    events: { type: 'string', default: '100' },
    gap: { type: 'string', default: '50' },
    sockets: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    deflate: { type: 'boolean', default: false },
  },
});
const base = args.url.replace(/\/$/, '');
const wsBase = base.replace(/^http/, 'ws');

const pct = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
const fmt = (x: number) => x.toFixed(1);

async function post<T>(
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

interface Frame {
  type: string;
  t?: number;
  events?: { id: string }[];
}

async function openSocket(token: string, onFrame: (frame: Frame, at: number) => void): Promise<WebSocket> {
  const ticket = await post<{ ticket: string }>('/v1/live/ticket', {}, { authorization: `Bearer ${token}` });
  if (ticket.status !== 201) throw new Error(`ticket: ${ticket.status} ${JSON.stringify(ticket.body)}`);
  const ws = new WebSocket(`${wsBase}/v1/live?ticket=${encodeURIComponent(ticket.body.ticket)}`, {
    perMessageDeflate: args.deflate,
  });
  ws.on('message', (data) => onFrame(JSON.parse(String(data)) as Frame, Date.now()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

async function main(): Promise<void> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const signup = await post<{ accessToken: string }>(
    '/v1/auth/signup',
    { tenantName: `bench ${suffix}`, email: `bench-${suffix}@example.test`, password: `pw-${suffix}-${suffix}` },
    {},
  );
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
  const token = signup.body.accessToken;
  const key = await post<{ key: string }>(
    '/v1/api-keys',
    { name: 'bench', scopes: ['ingest'] },
    { authorization: `Bearer ${token}` },
  );
  if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);

  // --- freshness -------------------------------------------------------------------------------------------
  const seenAt = new Map<string, number>();
  const watcher = await openSocket(token, (frame, at) => {
    if (frame.type === 'events') for (const e of frame.events ?? []) if (!seenAt.has(e.id)) seenAt.set(e.id, at);
  });
  const acceptedAt = new Map<string, number>();
  const n = Number(args.events);
  for (let i = 0; i < n; i++) {
    const id = `fresh-${suffix}-${i}`;
    const res = await post<{ accepted: number }>(
      '/v1/events',
      { events: [{ id, source: 'bench', endpoint: 'GET /x', status: 200, latencyMs: 10 + (i % 90) }] },
      { 'x-api-key': key.body.key },
    );
    if (res.status !== 202) throw new Error(`ingest: ${res.status} ${JSON.stringify(res.body)}`);
    acceptedAt.set(id, Date.now());
    await new Promise((r) => setTimeout(r, Number(args.gap)));
  }
  await waitFor(() => [...acceptedAt.keys()].every((id) => seenAt.has(id)), 30_000);
  const fresh = [...acceptedAt].flatMap(([id, t]) => {
    const seen = seenAt.get(id);
    return seen === undefined ? [] : [seen - t];
  });
  fresh.sort((a, b) => a - b);
  console.log(
    `freshness 202→socket: ${fresh.length}/${n} seen  p50 ${fmt(pct(fresh, 0.5))} ms  p95 ${fmt(pct(fresh, 0.95))} ms  max ${fmt(fresh[fresh.length - 1] ?? 0)} ms`,
  );
  watcher.close(1000);

  // --- fan-out ---------------------------------------------------------------------------------------------
  const socketCount = Number(args.sockets);
  const byFrame = new Map<number, number[]>(); // metrics frame t → receive delays
  const eventDelays: number[] = []; // events frames of the same flushes
  const sockets: WebSocket[] = [];
  const opened = Date.now();
  for (let i = 0; i < socketCount; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, socketCount - i) }, () =>
        openSocket(token, (frame, at) => {
          if (frame.type === 'events' && frame.t !== undefined) eventDelays.push(at - frame.t);
          if (frame.type !== 'metrics' || frame.t === undefined) return;
          const list = byFrame.get(frame.t) ?? [];
          list.push(at - frame.t);
          byFrame.set(frame.t, list);
        }),
      ),
    );
    sockets.push(...batch);
  }
  const compressed = sockets.filter((ws) => ws.extensions.includes('permessage-deflate')).length;
  console.log(`opened ${sockets.length} sockets in ${Date.now() - opened} ms (${compressed} with permessage-deflate)`);
  const rounds = Number(args.rounds);
  const complete: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = new Set(byFrame.keys());
    const res = await post(
      '/v1/events',
      { events: [{ source: 'bench', status: 200, latencyMs: 5 + r }] },
      { 'x-api-key': key.body.key },
    );
    if (res.status !== 202) throw new Error(`ingest: ${res.status}`);
    const ok = await waitFor(
      () => [...byFrame].some(([t, list]) => !before.has(t) && list.length >= socketCount),
      15_000,
    );
    const frame = [...byFrame].find(([t]) => !before.has(t));
    if (!ok || !frame) {
      console.log(`round ${r}: not every socket received a metrics frame within 15 s (${frame?.[1].length ?? 0})`);
      continue;
    }
    const delays = [...frame[1]].sort((a, b) => a - b);
    all.push(...delays);
    complete.push(delays[delays.length - 1] ?? Number.NaN);
  }
  all.sort((a, b) => a - b);
  complete.sort((a, b) => a - b);
  eventDelays.sort((a, b) => a - b);
  console.log(
    `fan-out to ${socketCount} sockets, ${complete.length} frames: per-socket delay p50 ${fmt(pct(all, 0.5))} ms  p99 ${fmt(pct(all, 0.99))} ms; time until the last socket had the frame p50 ${fmt(pct(complete, 0.5))} ms  max ${fmt(complete[complete.length - 1] ?? 0)} ms`,
  );
  console.log(
    `events frames of those flushes: ${eventDelays.length} received, p50 ${fmt(pct(eventDelays, 0.5))} ms  p99 ${fmt(pct(eventDelays, 0.99))} ms`,
  );
  for (const ws of sockets) ws.close(1000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
