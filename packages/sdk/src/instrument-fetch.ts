import type { PulseStream } from './client.js';
import { endpointName, type SourceMap, sourceForHost } from './naming.js';

type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export interface InstrumentFetchOptions {
  /** The client that records the calls. */
  client: PulseStream;
  /** Your own host → source names (`{"api.acme.dev": "acme", "*.acme.dev": "acme"}`), before the built-in ones. */
  sources?: SourceMap;
  /** Hosts never recorded (the PulseStream endpoint itself is always skipped). */
  ignoreHosts?: readonly string[];
  /** Record the query string as `properties.query` (off: query strings often carry tokens). */
  captureQuery?: boolean;
  /** Request and response header names to record as `properties.requestHeaders` / `responseHeaders`. */
  captureHeaders?: readonly string[];
  /** Record up to this many characters of text request and response bodies (default 0: none). */
  captureBodyChars?: number;
}

function requestOf(input: Request | string | URL, init?: RequestInit): { url: URL; method: string } | null {
  try {
    if (typeof input === 'string' || input instanceof URL) {
      return { url: new URL(String(input)), method: (init?.method ?? 'GET').toUpperCase() };
    }
    return { url: new URL(input.url), method: (init?.method ?? input.method ?? 'GET').toUpperCase() };
  } catch {
    // Relative URLs (browsers) resolve against the page.
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    if (!base || typeof input !== 'string') return null;
    return { url: new URL(input, base), method: (init?.method ?? 'GET').toUpperCase() };
  }
}

function pickHeaders(headers: Headers, names: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null);
  let any = false;
  for (const name of names) {
    const v = headers.get(name);
    if (v !== null) {
      out[name.toLowerCase()] = v;
      any = true;
    }
  }
  return any ? { ...out } : undefined;
}

function now(): number {
  return typeof performance !== 'undefined' && typeof performance.now === 'function' ? performance.now() : Date.now();
}

/**
 * Wraps `fetchFn` so every call is recorded as an `api_call` event: source from the host, endpoint
 * `METHOD /path` with ids templated, status, latency in ms. A call that throws is recorded with
 * `properties.error` and no status, then rethrown. Bodies, headers and query strings are not recorded
 * unless asked for. The response is returned untouched.
 */
export function instrumentFetch<F extends FetchLike>(fetchFn: F, options: InstrumentFetchOptions): F {
  const { client } = options;
  const ignored = new Set([
    client.endpointHost.toLowerCase(),
    ...(options.ignoreHosts ?? []).map((h) => h.toLowerCase()),
  ]);
  const headerNames = options.captureHeaders ?? [];
  const bodyChars = Math.max(0, options.captureBodyChars ?? 0);

  const wrapped = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const target = requestOf(input, init);
    if (!target || ignored.has(target.url.host.toLowerCase()) || ignored.has(target.url.hostname.toLowerCase())) {
      return fetchFn(input, init);
    }
    const startedAt = Date.now();
    const started = now();
    const properties: Record<string, unknown> = { host: target.url.host };
    if (options.captureQuery && target.url.search) properties.query = target.url.search.slice(1);
    if (headerNames.length > 0) {
      const reqHeaders = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      const picked = pickHeaders(reqHeaders, headerNames);
      if (picked) properties.requestHeaders = picked;
    }
    if (bodyChars > 0 && typeof init?.body === 'string') properties.requestBody = init.body.slice(0, bodyChars);
    const record = (status: number | null, latencyMs: number) =>
      client.track({
        type: 'api_call',
        timestamp: startedAt,
        source: sourceForHost(target.url.hostname, options.sources),
        endpoint: endpointName(target.method, target.url.pathname),
        method: target.method,
        status,
        latencyMs,
        properties,
      });

    const elapsed = () => Math.round((now() - started) * 1000) / 1000;
    let res: Response;
    try {
      res = await fetchFn(input, init);
    } catch (err) {
      properties.error = err instanceof Error ? err.name : 'Error';
      record(null, elapsed());
      throw err;
    }
    const latencyMs = elapsed();
    if (headerNames.length > 0) {
      const picked = pickHeaders(res.headers, headerNames);
      if (picked) properties.responseHeaders = picked;
    }
    if (bodyChars > 0 && res.body !== null) {
      // Read from a copy after the caller has the response, so the latency measured is the call's own.
      const copy = res.clone();
      const status = res.status;
      void copy
        .text()
        .then((t) => {
          properties.responseBody = t.slice(0, bodyChars);
        })
        .catch(() => {})
        .finally(() => record(status, latencyMs));
      return res;
    }
    record(res.status, latencyMs);
    return res;
  };
  return wrapped as F;
}
