import { type Database, type DbHandle, openDb } from '@pulsestream/db';
import type { Config } from './config';
import { ApiError } from './errors';
import type { Logger } from './logger';

/** Per-request (or per-batch) services. Built by the `init` middleware; never module-level. */
export interface Services {
  config: Config;
  logger: Logger;
  /** Opens the database on first use; closed by whoever built the services. */
  db(): Database;
  /** True once `db()` has opened a connection pool that `close()` must end. */
  readonly opened: boolean;
  close(): Promise<void>;
}

/** Builds services for one unit of work (a request, a queue batch, a cron run). */
export function createServices(config: Config, logger: Logger): Services {
  let handle: DbHandle | undefined;
  return {
    config,
    logger,
    db() {
      if (!handle) {
        if (!config.DATABASE_URL) throw new ApiError('unavailable', 'The database is not configured.');
        handle = openDb({ databaseUrl: config.DATABASE_URL, wsProxy: config.DB_WS_PROXY }, (err) =>
          logger.warn('database pool error', { error: err.message }),
        );
      }
      return handle.db;
    },
    get opened() {
      return handle !== undefined;
    },
    async close() {
      const h = handle;
      handle = undefined;
      if (h) await h.close();
    },
  };
}
