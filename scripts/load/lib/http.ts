// The load generator's HTTP client: node:http on keep-alive agents (about 0.2 ms of CPU per request, where
// fetch costs several times that; see scripts/bench/ingest.ts), with a hard per-request deadline so a hang is
// recorded as a hang instead of stalling a worker.
import http from 'node:http';
import type { Socket } from 'node:net';

/** What the previous request on each keep-alive connection was: a failure right after a cut-off body shows it. */
const lastOnSocket = new WeakMap<Socket, string>();

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
  /** The label of the request sent before this one on the same connection ('' on a fresh connection). */
  previous: string;
}

export type Outcome =
  | { ok: true; answer: Answer }
  | { ok: false; kind: 'timeout' | 'error'; error: string; ms: number; previous: string };

export interface SendOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Declared length when it differs from the bytes sent (a truncated body); `null` sends chunked. */
  contentLength?: number | null;
  /** Sends only this many bytes of the body, then destroys the socket (a client that dies mid-upload). */
  cutAfter?: number;
  agent: http.Agent | false;
  timeoutMs: number;
  /** Names the request for {@link Answer.previous} of the next request on its connection. */
  label?: string;
}

export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });
}

export function send(base: URL, o: SendOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
    const headers: Record<string, string> = { ...o.headers };
    if (body !== undefined && o.contentLength !== null)
      headers['content-length'] = String(o.contentLength ?? body.length);
    let done = false;
    let previous = '';
    const finish = (r: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = http.request(
      { host: base.hostname, port: base.port, path: o.path, method: o.method ?? 'POST', agent: o.agent, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          finish({
            ok: true,
            answer: {
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
              ms: performance.now() - t0,
              previous,
            },
          }),
        );
        res.on('error', (err) =>
          finish({ ok: false, kind: 'error', error: err.message, ms: performance.now() - t0, previous }),
        );
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error('timeout'));
      finish({
        ok: false,
        kind: 'timeout',
        error: `no answer within ${o.timeoutMs} ms`,
        ms: performance.now() - t0,
        previous,
      });
    }, o.timeoutMs);
    req.on('socket', (socket: Socket) => {
      previous = lastOnSocket.get(socket) ?? '';
      lastOnSocket.set(socket, o.label ?? o.path);
    });
    req.on('error', (err) =>
      finish({ ok: false, kind: 'error', error: err.message, ms: performance.now() - t0, previous }),
    );
    if (body === undefined) {
      req.end();
    } else if (o.cutAfter !== undefined) {
      req.write(body.subarray(0, o.cutAfter), () => {
        // Let the bytes leave, then vanish without finishing the body.
        setTimeout(() => {
          req.destroy();
          finish({ ok: false, kind: 'error', error: 'cut by client', ms: performance.now() - t0, previous });
        }, 50);
      });
    } else {
      req.end(body);
    }
  });
}

/** JSON API call for setup and checks (signup, keys, tickets, dead letters). */
export async function api(
  base: URL,
  agent: http.Agent,
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const r = await send(base, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    path,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    agent,
    timeoutMs: 60_000,
  });
  if (!r.ok) throw new Error(`${path}: ${r.error}`);
  let json: Record<string, unknown> = {};
  try {
    json = r.answer.body ? (JSON.parse(r.answer.body) as Record<string, unknown>) : {};
  } catch {
    json = { raw: r.answer.body };
  }
  return { status: r.answer.status, json, headers: r.answer.headers };
}
