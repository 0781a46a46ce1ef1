import { neonConfig, Pool } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type EmbeddedDb, startEmbeddedDb } from './embedded-db';
import { findFreePort } from './ports';
import { startWsProxy } from './ws-proxy';

let db: EmbeddedDb;
let proxy: Awaited<ReturnType<typeof startWsProxy>>;

beforeAll(async () => {
  db = await startEmbeddedDb({ port: await findFreePort() });
  const proxyPort = await findFreePort();
  proxy = await startWsProxy({ port: proxyPort });
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, port) => `127.0.0.1:${proxyPort}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await db?.stop();
});

async function waitFor(predicate: () => boolean, limitMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

describe('WebSocket-to-TCP proxy with the Neon driver', () => {
  it('carries queries and releases the server connection when the pool ends', async () => {
    for (let round = 0; round < 5; round++) {
      const pool = new Pool({ connectionString: db.url, max: 3 });
      pool.on('error', () => {});
      const results = await Promise.all([1, 2, 3].map((n) => pool.query('SELECT $1::int AS n', [n])));
      expect(results.map((r) => r.rows[0]?.n)).toEqual([1, 2, 3]);
      await pool.end();
    }
    // Without closing the TCP side on Terminate, each round would leave connections open in PGlite.
    expect(await waitFor(() => db.activeConnections() === 0, 5_000)).toBe(true);
  }, 60_000);

  it('refuses targets that are not loopback', async () => {
    const port = proxy.server.address();
    if (port === null || typeof port === 'string') throw new Error('no port');
    const ws = new WebSocket(`ws://127.0.0.1:${port.port}/v1?address=10.0.0.1:5432`);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(1008);
  });
});
