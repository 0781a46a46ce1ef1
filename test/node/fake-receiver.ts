/**
 * A local stand-in for everything notifications talk to, run in Node by the integration tests' global setup:
 * - webhook receivers at any path: verify Standard Webhooks signatures with the independent `standardwebhooks`
 *   package (401 when the signature or body does not verify), answer with scripted statuses or a redirect;
 * - a fake email HTTP API (`POST /email`);
 * - a fake DNS-over-HTTPS JSON resolver (`GET /dns-query`): `*.loopback.test` → 127.0.0.1,
 *   `*.private.test` → 10.0.0.7, `*.public.test` → 93.184.216.34, anything else NXDOMAIN.
 * Control: `POST /_config {path, secret?, statuses?, redirect?}`; `GET /_log?path=` lists what arrived.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

interface PathConfig {
  secret?: string;
  statuses?: number[];
  redirect?: string;
}

export interface Received {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  verified: boolean | null;
  status: number;
  at: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const DNS: [RegExp, string][] = [
  [/\.loopback\.test\.?$/, '127.0.0.1'],
  [/\.private\.test\.?$/, '10.0.0.7'],
  [/\.public\.test\.?$/, '93.184.216.34'],
];

export async function startFakeReceiver(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const configs = new Map<string, PathConfig>();
  const log: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const body = await readBody(req);
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    if (url.pathname === '/_config') {
      const c = JSON.parse(body) as PathConfig & { path: string };
      configs.set(c.path, {
        secret: c.secret,
        statuses: c.statuses ? [...c.statuses] : undefined,
        redirect: c.redirect,
      });
      return send(200, { ok: true });
    }
    if (url.pathname === '/_log') {
      const path = url.searchParams.get('path');
      return send(
        200,
        log.filter((r) => path === null || r.path === path),
      );
    }
    if (url.pathname === '/dns-query') {
      const name = url.searchParams.get('name') ?? '';
      const type = url.searchParams.get('type');
      const hit = DNS.find(([re]) => re.test(name));
      if (!hit) return send(200, { Status: 3, Answer: [] });
      return send(200, { Status: 0, Answer: type === 'A' ? [{ name, type: 1, TTL: 60, data: hit[1] }] : [] });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const config = configs.get(url.pathname) ?? {};
    let verified: boolean | null = null;
    let status = config.statuses?.shift() ?? 200;
    if (config.secret) {
      try {
        new Webhook(config.secret).verify(body, headers);
        verified = true;
      } catch {
        verified = false;
        status = 401;
      }
    }
    log.push({ path: url.pathname, method: req.method ?? '', headers, body, verified, status, at: Date.now() });
    if (config.redirect && verified !== false) {
      res.writeHead(302, { location: config.redirect });
      return res.end();
    }
    return send(status, { received: true });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
