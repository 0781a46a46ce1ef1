import { exports } from 'cloudflare:workers';
import type { LiveEvent } from '../../workers/objects/tenant-hub';

/** A frame the hub sent, parsed. */
export interface LiveFrame {
  type: string;
  [key: string]: unknown;
}

/** A connected live socket that records what it receives. */
export interface LiveClient {
  ws: WebSocket;
  frames: LiveFrame[];
  closed: { code: number; reason: string } | null;
  /** Resolves with the first recorded frame (from `from` on) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (f: LiveFrame) => boolean, options?: { timeoutMs?: number; from?: number }): Promise<LiveFrame>;
  waitForClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
}

/** Polls `condition` until it returns a value or `timeoutMs` passes: a bounded wait, never a fixed sleep. */
export async function waitUntil<T>(condition: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** {@link waitUntil} for an asynchronous condition. */
export async function waitUntilAsync<T>(
  condition: () => Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Asks for a ticket with a user bearer token. */
export async function liveTicket(bearer: string): Promise<string> {
  const res = await exports.default.fetch('http://ps.test/v1/live/ticket', {
    method: 'POST',
    headers: { authorization: bearer },
  });
  if (res.status !== 201) throw new Error(`ticket: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { ticket: string };
  return body.ticket;
}

/** Opens `GET /v1/live?ticket=…` through the Worker and records every frame. */
export async function connectLive(ticket: string): Promise<LiveClient> {
  const res = await exports.default.fetch(`http://ps.test/v1/live?ticket=${encodeURIComponent(ticket)}`, {
    headers: { Upgrade: 'websocket' },
  });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`upgrade: ${res.status} ${await res.text()}`);
  ws.accept();
  const client: LiveClient = {
    ws,
    frames: [],
    closed: null,
    waitFor(predicate, options = {}) {
      return waitUntil(() => client.frames.slice(options.from ?? 0).find(predicate), options.timeoutMs ?? 5_000);
    },
    waitForClose(timeoutMs = 5_000) {
      return waitUntil(() => client.closed, timeoutMs);
    },
  };
  ws.addEventListener('message', (event) => {
    client.frames.push(JSON.parse(String(event.data)) as LiveFrame);
  });
  ws.addEventListener('close', (event) => {
    client.closed = { code: event.code, reason: event.reason };
  });
  return client;
}

/** A live event with defaults. */
export function liveEvent(overrides: Partial<LiveEvent> & { id: string }): LiveEvent {
  return {
    timestamp: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 100,
    country: 'DE',
    ...overrides,
  };
}
