import type { PulseStreamEvent } from './event.js';
import { type InstrumentFetchOptions, instrumentFetch } from './instrument-fetch.js';

export type { PulseStreamEvent } from './event.js';

type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export interface PulseStreamOptions {
  /** An API key with the `ingest` scope (`ps_live_…`). */
  apiKey: string;
  /** The PulseStream base URL, e.g. `http://127.0.0.1:8787` for `npm run dev`. */
  endpoint: string;
  /** Events per request (1-1,000; default 100). A batch is sent as soon as it is full. */
  batchSize?: number;
  /** At most this long (ms) between `track` and the send of a partial batch (default 1,000). */
  flushIntervalMs?: number;
  /** Events held in memory, queued and in flight (default 10,000). Past it, new events are dropped and counted. */
  maxBufferSize?: number;
  /** Retries of one batch after the first try (default 10). */
  maxRetries?: number;
  /** First backoff delay (ms, default 500); doubled per attempt, with jitter. */
  retryBaseMs?: number;
  /** Longest wait between two tries (ms, default 30,000), Retry-After included. */
  retryMaxMs?: number;
  /** Gzip request bodies where `CompressionStream` exists (default true). */
  compress?: boolean;
  /** The fetch used to send (default: `globalThis.fetch` at construction). */
  fetch?: FetchLike;
  /** Told about batches that could not be delivered, and about events the server refused. */
  onError?: (error: PulseStreamError) => void;
  /** Source of randomness for jitter, in [0, 1) (tests). */
  random?: () => number;
}

/** What went wrong with a batch: `status` is the last HTTP status (absent after a network error). */
export class PulseStreamError extends Error {
  constructor(
    message: string,
    readonly events: number,
    readonly status?: number,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'PulseStreamError';
  }
}

export interface PulseStreamStats {
  /** Events passed to `track` and accepted into the buffer. */
  tracked: number;
  /** Events the server acknowledged as accepted. */
  sent: number;
  /** Events dropped because the buffer was full or the client closed. */
  dropped: number;
  /** Events the server refused (validation) or that failed after every retry. */
  failed: number;
  /** Retries made (each re-send of a batch counts once). */
  retries: number;
  /** Events waiting or in flight. */
  pending: number;
}

const DEFAULTS = {
  batchSize: 100,
  flushIntervalMs: 1_000,
  maxBufferSize: 10_000,
  maxRetries: 10,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
};

/** Statuses worth another try: the server was busy or broken, not the request. */
function retryable(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable.
 * Exported for tests.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Non-secure browser contexts lack randomUUID; getRandomValues is still there.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The PulseStream client. `track` buffers; batches leave when 100 are queued or 1 s after the first,
 * one request at a time, gzip'd, retried with backoff on 429/5xx/network errors. Every event gets its id
 * here, so a retried batch is stored once. In a Worker, call `ctx.waitUntil(client.flush())` before the
 * handler returns.
 */
export class PulseStream {
  private readonly apiKey: string;
  private readonly url: string;
  private readonly host: string;
  private readonly opts: typeof DEFAULTS;
  private readonly fetchImpl: FetchLike;
  private readonly compress: boolean;
  private readonly onError: ((error: PulseStreamError) => void) | undefined;
  private readonly random: () => number;
  private queue: Record<string, unknown>[] = [];
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly counters = { tracked: 0, sent: 0, dropped: 0, failed: 0, retries: 0 };

  constructor(options: PulseStreamOptions) {
    if (!options.apiKey) throw new TypeError('PulseStream: apiKey is required');
    if (!options.endpoint) throw new TypeError('PulseStream: endpoint is required');
    const base = new URL(options.endpoint);
    this.url = new URL('/v1/events', base).toString();
    this.host = base.host;
    this.apiKey = options.apiKey;
    this.opts = {
      batchSize: Math.min(1000, Math.max(1, Math.floor(options.batchSize ?? DEFAULTS.batchSize))),
      flushIntervalMs: Math.max(0, options.flushIntervalMs ?? DEFAULTS.flushIntervalMs),
      maxBufferSize: Math.max(1, Math.floor(options.maxBufferSize ?? DEFAULTS.maxBufferSize)),
      maxRetries: Math.max(0, Math.floor(options.maxRetries ?? DEFAULTS.maxRetries)),
      retryBaseMs: Math.max(0, options.retryBaseMs ?? DEFAULTS.retryBaseMs),
      retryMaxMs: Math.max(0, options.retryMaxMs ?? DEFAULTS.retryMaxMs),
    };
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('PulseStream: no fetch available; pass options.fetch');
    // Bound to globalThis: browsers refuse a fetch called with another `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.compress = (options.compress ?? true) && typeof CompressionStream === 'function';
    this.onError = options.onError;
    this.random = options.random ?? Math.random;
  }

  /** The host the client sends to; `instrumentFetch` never records calls to it. */
  get endpointHost(): string {
    return this.host;
  }

  /**
   * Queues one event. Returns false when it was dropped (buffer full, or the client closed). The event's id
   * (and timestamp) are fixed here, so retries cannot duplicate it.
   */
  track(event: PulseStreamEvent): boolean {
    if (this.closed || this.queue.length + this.inFlight >= this.opts.maxBufferSize) {
      this.counters.dropped++;
      return false;
    }
    this.queue.push({ ...event, id: event.id ?? randomId(), timestamp: event.timestamp ?? Date.now() });
    this.counters.tracked++;
    if (this.queue.length >= this.opts.batchSize) this.kick();
    else if (this.timer === undefined) this.arm();
    return true;
  }

  /** Sends everything queued so far; resolves when each batch was delivered or given up on. */
  flush(): Promise<void> {
    this.disarm();
    while (this.queue.length > 0) this.kick();
    return this.sending;
  }

  /** Flushes, then refuses further events (counted as dropped). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  stats(): PulseStreamStats {
    return { ...this.counters, pending: this.queue.length + this.inFlight };
  }

  /** Wraps a fetch so each call is recorded as an `api_call` event through this client. */
  instrumentFetch<F extends FetchLike>(fetchFn: F, options: Omit<InstrumentFetchOptions, 'client'> = {}): F {
    return instrumentFetch(fetchFn, { ...options, client: this });
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.flushIntervalMs);
    // In Node, a pending flush must not keep the process alive; close() or flush() sends the rest.
    const t = this.timer as unknown as { unref?: () => void };
    if (typeof t === 'object' && typeof t.unref === 'function') t.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes one batch off the queue and chains its delivery after the one in flight. */
  private kick(): void {
    const batch = this.queue.splice(0, this.opts.batchSize);
    if (batch.length === 0) return;
    if (this.queue.length === 0) this.disarm();
    this.inFlight += batch.length;
    this.sending = this.sending.then(() =>
      this.deliver(batch).finally(() => {
        this.inFlight -= batch.length;
      }),
    );
  }

  private backoff(attempt: number, retryAfter: number | null): number {
    const exp = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** attempt);
    // "Equal jitter": half fixed, half random, so clients that failed together do not retry together.
    const jittered = exp / 2 + this.random() * (exp / 2);
    const wait = retryAfter === null ? jittered : Math.max(retryAfter, jittered);
    return Math.min(this.opts.retryMaxMs, wait);
  }

  /** Sends one batch until it is accepted, refused for good, or out of retries. Never throws. */
  private async deliver(batch: Record<string, unknown>[]): Promise<void> {
    const text = JSON.stringify({ events: batch });
    let body: string | Uint8Array<ArrayBuffer> = text;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.apiKey}`,
    };
    if (this.compress && text.length > 1024) {
      try {
        body = await gzip(text);
        headers['content-encoding'] = 'gzip';
      } catch {
        body = text;
      }
    }
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let retryAfter: number | null = null;
      let detail: unknown;
      try {
        const res = await this.fetchImpl(this.url, { method: 'POST', headers, body });
        status = res.status;
        retryAfter = retryAfterMs(res.headers.get('retry-after'));
        detail = await res.json().catch(() => undefined);
        if (res.ok) {
          this.accepted(batch.length, detail);
          return;
        }
        if (status === 413 && batch.length > 1) {
          // Too big as one request: halve it. The ids are kept, so nothing is stored twice.
          const half = Math.ceil(batch.length / 2);
          await this.deliver(batch.slice(0, half));
          await this.deliver(batch.slice(half));
          return;
        }
        if (!retryable(status)) {
          this.fail(batch.length, `PulseStream refused the batch (HTTP ${status})`, status, detail);
          return;
        }
      } catch (err) {
        detail = err;
      }
      if (attempt >= this.opts.maxRetries) {
        this.fail(batch.length, `PulseStream batch failed after ${attempt + 1} tries`, status, detail);
        return;
      }
      this.counters.retries++;
      await new Promise((resolve) => setTimeout(resolve, this.backoff(attempt, retryAfter)));
    }
  }

  private accepted(events: number, detail: unknown): void {
    const body = detail as { accepted?: unknown; rejected?: unknown } | undefined;
    const accepted = typeof body?.accepted === 'number' ? body.accepted : events;
    this.counters.sent += accepted;
    const refused = events - accepted;
    if (refused > 0) this.fail(refused, `PulseStream refused ${refused} of ${events} events`, 202, body?.rejected);
  }

  private fail(events: number, message: string, status: number | undefined, detail: unknown): void {
    this.counters.failed += events;
    if (!this.onError) return;
    try {
      this.onError(new PulseStreamError(message, events, status, detail));
    } catch {
      // A throwing error handler must not break delivery of the next batch.
    }
  }
}
