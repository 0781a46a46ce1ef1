import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';

export interface DbConfig {
  /** Postgres connection string (Neon in production, the embedded or a local Postgres in dev and tests). */
  databaseUrl: string;
  /**
   * `host:port` of the WebSocket-to-TCP proxy for a local Postgres. Unset in production, where the Neon
   * driver talks to Neon's own WebSocket endpoint over TLS.
   */
  wsProxy?: string | undefined;
}

let configuredProxy: string | undefined;

function configureDriver(wsProxy: string | undefined): void {
  if (wsProxy === configuredProxy) return;
  configuredProxy = wsProxy;
  if (wsProxy) {
    // A local Postgres speaks plain TCP; the proxy bridges WebSocket to it. No TLS on loopback.
    neonConfig.wsProxy = (host, port) => `${wsProxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
}

export type Database = ReturnType<typeof drizzle>;

export interface DbHandle {
  db: Database;
  pool: Pool;
  /** Must be awaited before the request or batch finishes (not in `waitUntil`): it closes the sockets. */
  close(): Promise<void>;
}

/**
 * Builds a database handle for one request or one queue batch. Workers must not share sockets across
 * requests, so there is deliberately no module-level client.
 */
export function openDb(config: DbConfig, onError?: (err: Error) => void): DbHandle {
  configureDriver(config.wsProxy);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 10_000 });
  let closed = false;
  // An idle client that errors (e.g. the server restarts) would otherwise be an unhandled 'error' event.
  // Once we close the pool ourselves, its sockets report "Network connection lost": that is the close, not
  // a failure, and logging it would bury real warnings.
  pool.on('error', (err: Error) => {
    if (!closed) onError?.(err);
  });
  const db = drizzle({ client: pool });
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
