import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDb {
  url: string;
  port: number;
  /** Open wire-protocol connections: lets tests prove the proxy releases them. */
  activeConnections(): number;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (Postgres compiled to WASM) behind the Postgres wire protocol, so `pg`, drizzle and the
 * Neon driver (through the WebSocket proxy) reach it exactly as they would a real server.
 * `dataDir` undefined keeps everything in memory (tests); a folder persists across restarts (dev).
 */
export async function startEmbeddedDb(options: { port: number; dataDir?: string }): Promise<EmbeddedDb> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({ db, port: options.port, host: '127.0.0.1', maxConnections: 200 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    activeConnections: () => server.getStats().activeConnections,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
