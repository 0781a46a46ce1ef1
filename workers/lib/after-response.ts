import { type Database, openDb } from '@pulsestream/db';
import type { AppContext } from './app';

/**
 * Runs database work after the response is sent, on its own connection (the request's is closed when the
 * response leaves). Used where doing the work inline would make a response's timing reveal something, such
 * as auditing a failed login for a known email, which an unknown email has no tenant to audit against.
 */
export function afterResponse(c: AppContext, label: string, work: (db: Database) => Promise<void>): void {
  const { config, logger } = c.get('services');
  const databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) return;
  const task = (async () => {
    const handle = openDb({ databaseUrl, wsProxy: config.DB_WS_PROXY }, (err) =>
      logger.warn('database pool error', { error: err.message }),
    );
    try {
      await work(handle.db);
    } catch (err) {
      logger.error(`${label} failed`, { error: err instanceof Error ? err.message : String(err) });
    } finally {
      await handle.close();
    }
  })();
  c.executionCtx.waitUntil(task);
}
