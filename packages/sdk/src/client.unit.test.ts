import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PulseStream, type PulseStreamError, retryAfterMs } from './client';

interface Received {
  at: number;
  headers: IncomingMessage['headers'];
  events: Record<string, unknown>[];
}

/** What the fake server does with one request: answer with a status (and headers), hold, or reset. */
type Reply = { status: number; headers?: Record<string, string> } | 'reset' | 'hold';

/** A local stand-in for `POST /v1/events`: records each request, answers from a script, then 202. */
class FakeIngest {
  readonly received: Received[] = [];
  readonly script: Reply[] = [];
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        const events = (JSON.parse(text) as { events: Record<string, unknown>[] }).events;
        this.received.push({ at: Date.now(), headers: req.headers, events });
        const reply = this.script.shift() ?? { status: 202 };
        if (reply === 'reset') {
          req.socket.destroy();
          return;
        }
        if (reply === 'hold') {
          this.held.push(res);
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(
          reply.status === 202
            ? JSON.stringify({ accepted: events.length, rejected: [], ids: events.map((e) => e.id) })
            : JSON.stringify({ status: reply.status }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  releaseHeld(): void {
    for (const res of this.held.splice(0)) {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: 0, rejected: [], ids: [] }));
    }
  }

  get events(): Record<string, unknown>[] {
    return this.received.flatMap((r) => r.events);
  }

  async stop(): Promise<void> {
    this.releaseHeld();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function until(what: string, probe: () => boolean, limitMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (i: number) => ({ source: 'stripe', endpoint: 'POST /v1/charges', status: 200, latencyMs: i });

let server: FakeIngest;
let clients: PulseStream[] = [];

function client(opts: Partial<ConstructorParameters<typeof PulseStream>[0]> = {}): PulseStream {
  const c = new PulseStream({ apiKey: 'ps_live_test', endpoint: server.url, retryBaseMs: 10, ...opts });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  server = new FakeIngest();
  await server.start();
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await server.stop();
});

describe('batching', () => {
  it('sends a full batch of 100 at once, and the rest on flush', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 250; i++) c.track(event(i));
    await until('two full batches', () => server.received.length === 2);
    expect(server.received.map((r) => r.events.length)).toEqual([100, 100]);
    await c.flush();
    expect(server.received.map((r) => r.events.length)).toEqual([100, 100, 50]);
    expect(server.events.map((e) => e.latencyMs)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(c.stats()).toMatchObject({ tracked: 250, sent: 250, dropped: 0, failed: 0, pending: 0 });
  });

  it('sends a partial batch once the interval has passed, without a flush', async () => {
    const c = client({ flushIntervalMs: 200 });
    const started = Date.now();
    c.track(event(1));
    c.track(event(2));
    await until('the timed batch', () => server.received.length === 1);
    expect((server.received[0]?.at ?? 0) - started).toBeGreaterThanOrEqual(190);
    expect(server.received[0]?.events).toHaveLength(2);
  });

  it('authenticates with the key, gzips large bodies, and gives every event an id and timestamp', async () => {
    const c = client();
    for (let i = 0; i < 30; i++) c.track(event(i));
    c.track({ ...event(99), id: 'mine-1', timestamp: 1_700_000_000_000 });
    await c.flush();
    const req = server.received[0];
    expect(req?.headers.authorization).toBe('Bearer ps_live_test');
    expect(req?.headers['content-encoding']).toBe('gzip');
    const ids = server.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(31);
    expect(ids.at(-1)).toBe('mine-1');
    expect(server.events.at(-1)?.timestamp).toBe(1_700_000_000_000);
    expect(server.events.every((e) => typeof e.timestamp === 'number')).toBe(true);
  });

  it('sends small bodies uncompressed, and never gzips when compress is off', async () => {
    const c = client({ compress: false });
    for (let i = 0; i < 30; i++) c.track(event(i));
    await c.flush();
    expect(server.received[0]?.headers['content-encoding']).toBeUndefined();
    const d = client();
    d.track(event(1));
    await d.flush();
    expect(server.received[1]?.headers['content-encoding']).toBeUndefined();
  });
});

describe('retries', () => {
  it('retries 5xx and 429 with growing delays, resending the same ids', async () => {
    server.script.push({ status: 503 }, { status: 500 }, { status: 429 });
    const c = client({ retryBaseMs: 40, random: () => 0 });
    c.track(event(1));
    c.track(event(2));
    await c.flush();
    expect(server.received).toHaveLength(4);
    const ids = server.received.map((r) => r.events.map((e) => e.id).join(','));
    expect(new Set(ids).size).toBe(1);
    const gaps = server.received.slice(1).map((r, i) => r.at - (server.received[i]?.at ?? 0));
    // Equal jitter with random() = 0 waits half the exponential delay: 20, 40, 80 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
    expect(c.stats()).toMatchObject({ sent: 2, retries: 3, failed: 0 });
  });

  it('waits at least Retry-After before the next try', async () => {
    server.script.push({ status: 429, headers: { 'retry-after': '1' } });
    const c = client({ retryBaseMs: 1 });
    c.track(event(1));
    await c.flush();
    expect(server.received).toHaveLength(2);
    expect((server.received[1]?.at ?? 0) - (server.received[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(c.stats().sent).toBe(1);
  });

  it('retries after a network error (connection reset)', async () => {
    server.script.push('reset');
    const c = client();
    c.track(event(1));
    await c.flush();
    expect(server.received).toHaveLength(2);
    expect(server.received[0]?.events[0]?.id).toBe(server.received[1]?.events[0]?.id);
    expect(c.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('gives up after maxRetries and reports the failure', async () => {
    server.script.push({ status: 503 }, { status: 503 }, { status: 503 });
    const errors: PulseStreamError[] = [];
    const c = client({ maxRetries: 2, onError: (e) => errors.push(e) });
    c.track(event(1));
    await c.flush();
    expect(server.received).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.status).toBe(503);
    expect(c.stats()).toMatchObject({ sent: 0, failed: 1 });
  });

  it('does not retry a 400 or 401', async () => {
    server.script.push({ status: 401 });
    const errors: PulseStreamError[] = [];
    const c = client({ onError: (e) => errors.push(e) });
    c.track(event(1));
    await c.flush();
    expect(server.received).toHaveLength(1);
    expect(errors[0]?.status).toBe(401);
  });

  it('splits a batch the server finds too large (413), keeping ids', async () => {
    server.script.push({ status: 413 });
    const c = client();
    for (let i = 0; i < 10; i++) c.track(event(i));
    await c.flush();
    expect(server.received.map((r) => r.events.length)).toEqual([10, 5, 5]);
    expect(server.received.slice(1).flatMap((r) => r.events.map((e) => e.id))).toEqual(
      server.received[0]?.events.map((e) => e.id),
    );
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});

describe('buffer bound', () => {
  it('drops and counts events past maxBufferSize, queued and in flight alike', async () => {
    server.script.push('hold');
    const c = client({ batchSize: 5, maxBufferSize: 12, flushIntervalMs: 60_000 });
    const kept = Array.from({ length: 30 }, (_, i) => c.track(event(i)));
    expect(kept.filter(Boolean)).toHaveLength(12);
    expect(kept.slice(12).every((k) => k === false)).toBe(true);
    expect(c.stats()).toMatchObject({ tracked: 12, dropped: 18, pending: 12 });
    await until('the first batch to be held', () => server.received.length === 1);
    server.releaseHeld();
    await c.flush();
    expect(c.stats().pending).toBe(0);
    expect(server.events).toHaveLength(12);
  });
});

describe('close', () => {
  it('flushes what is queued, then refuses new events', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i++) c.track(event(i));
    expect(server.received).toHaveLength(0);
    await c.close();
    expect(server.events).toHaveLength(7);
    expect(c.track(event(8))).toBe(false);
    expect(c.stats()).toMatchObject({ sent: 7, dropped: 1 });
  });
});

describe('instrumentFetch', () => {
  /** A fetch that answers every call locally with `status` after `delayMs`, recording what it was given. */
  function fakeFetch(status: number, delayMs = 0) {
    const calls: string[] = [];
    const f = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      calls.push(
        `${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${String(input instanceof Request ? input.url : input)}`,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      return new Response('{"id":"cus_123","secret":"x"}', { status, headers: { 'request-id': 'req_1' } });
    };
    return { f, calls };
  }

  it('records source, templated endpoint, status and latency, and nothing else by default', async () => {
    const c = client();
    const api = fakeFetch(402, 30);
    const fetch = c.instrumentFetch(api.f);
    const res = await fetch('https://api.stripe.com/v1/customers/cus_123?expand=sources&key=sk_live_x', {
      method: 'post',
      headers: { authorization: 'Bearer sk_live_x' },
      body: 'amount=100',
    });
    expect(res.status).toBe(402);
    expect(await res.json()).toEqual({ id: 'cus_123', secret: 'x' });
    await fetch(
      new Request('https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json'),
    );
    await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST' });
    await fetch('https://billing.internal.example/v2/invoices/42');
    await c.flush();
    expect(api.calls).toHaveLength(4);
    const events = server.events;
    expect(events.map((e) => [e.type, e.source, e.endpoint, e.method, e.status])).toEqual([
      ['api_call', 'stripe', 'POST /v1/customers/:id', 'POST', 402],
      ['api_call', 'twilio', 'GET /2010-04-01/Accounts/:id/Messages.json', 'GET', 402],
      ['api_call', 'openai', 'POST /v1/chat/completions', 'POST', 402],
      ['api_call', 'billing.internal.example', 'GET /v2/invoices/:id', 'GET', 402],
    ]);
    expect(events[0]?.latencyMs).toBeGreaterThanOrEqual(25);
    expect(events[0]?.properties).toEqual({ host: 'api.stripe.com' });
    expect(JSON.stringify(events)).not.toMatch(/sk_live|amount=100|secret|expand/);
  });

  it('records query, chosen headers and bodies only when asked', async () => {
    const c = client();
    const api = fakeFetch(200);
    const fetch = c.instrumentFetch(api.f, {
      captureQuery: true,
      captureHeaders: ['request-id', 'idempotency-key'],
      captureBodyChars: 12,
    });
    await fetch('https://api.stripe.com/v1/charges?limit=3', {
      method: 'POST',
      headers: { 'idempotency-key': 'k1', authorization: 'Bearer sk' },
      body: 'amount=100&currency=eur',
    });
    await until('the response body copy to be read', () => c.stats().tracked === 1);
    await c.flush();
    expect(server.events[0]?.properties).toEqual({
      host: 'api.stripe.com',
      query: 'limit=3',
      requestHeaders: { 'idempotency-key': 'k1' },
      responseHeaders: { 'request-id': 'req_1' },
      requestBody: 'amount=100&c',
      responseBody: '{"id":"cus_1',
    });
  });

  it('uses the caller source mapping for a real local API, records failures, and skips its own endpoint', async () => {
    const api = createServer((_req, res) => {
      res.writeHead(201).end('ok');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const port = (api.address() as AddressInfo).port;
    try {
      const c = client();
      const fetch = c.instrumentFetch(globalThis.fetch, { sources: { '127.0.0.1': 'acme' } });
      const res = await fetch(`http://127.0.0.1:${port}/orders/1234/items`, { method: 'PUT' });
      expect(await res.text()).toBe('ok');
      await expect(fetch('http://127.0.0.1:1/unreachable')).rejects.toThrow();
      // Calls to the PulseStream endpoint itself are never recorded (no feedback loop).
      await fetch(`${server.url}/v1/events`, { method: 'POST', body: '{"events":[{"source":"x"}]}' });
      await c.flush();
      const events = server.events.filter((e) => e.source !== 'x');
      expect(events.map((e) => [e.source, e.endpoint, e.status])).toEqual([
        ['acme', 'PUT /orders/:id/items', 201],
        ['acme', 'GET /unreachable', null],
      ]);
      expect(events[1]?.properties).toMatchObject({ error: 'TypeError' });
    } finally {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });
});
