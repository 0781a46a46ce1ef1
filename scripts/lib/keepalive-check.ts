import http from 'node:http';
import zlib from 'node:zlib';

/**
 * Refusals that stop reading a body part-way (a gzip bomb past the bound, corrupt gzip, an identity body over
 * 1 MiB without Content-Length, a declared 50 MB body) must leave the keep-alive connection usable: the next
 * request on it is answered normally. Under `wrangler dev`, cancelling the body made its proxy answer the
 * next request with 503 "worker restarted mid-request". Returns one line per case; throws on a failure.
 */
export async function checkRefusalsKeepConnection(base: string, apiKey: string): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const good = JSON.stringify({ source: 'keepalive', endpoint: 'GET /check', status: 200, latencyMs: 3 });
  const gz = zlib.gzipSync(Buffer.from(good));
  const identity = Buffer.alloc(3 * 1024 * 1024, 0x20);
  const cases: [string, Buffer | Buffer[], Record<string, string>, number][] = [
    ['gzip past the bound', zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' }, 413],
    ['corrupt gzip', Buffer.concat([gz.subarray(0, 20), Buffer.alloc(5000, 7)]), { 'content-encoding': 'gzip' }, 400],
    ['3 MiB chunked, no length', [identity.subarray(0, 1_000_000), identity.subarray(1_000_000)], {}, 413],
    ['declared 50 MB', Buffer.alloc(50 * 1024 * 1024, 0x20), {}, 413],
    ['control character in type', Buffer.from('{"source":"a","type":"api\\u0001call"}'), {}, 400],
  ];
  const lines: string[] = [];
  try {
    for (const [name, body, headers, expected] of cases) {
      const refused = await post(agent, base, apiKey, body, headers);
      const next = await post(agent, base, apiKey, Buffer.from(good), {});
      lines.push(`${name}: ${refused.status}, next request on the connection: ${next.status}`);
      if (refused.status !== expected || next.status !== 202) {
        throw new Error(
          `keep-alive after "${name}": got ${refused.status} then ${next.status} (${next.text.slice(0, 80)})`,
        );
      }
    }
  } finally {
    agent.destroy();
  }
  return lines;
}

function post(
  agent: http.Agent,
  base: string,
  apiKey: string,
  body: Buffer | Buffer[],
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      `${base}/v1/events`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, text: e.message }));
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    if (Array.isArray(body)) {
      for (const part of body) req.write(part);
      req.end();
    } else {
      req.end(body);
    }
  });
}
