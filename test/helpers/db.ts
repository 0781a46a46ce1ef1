import { env } from 'cloudflare:test';
import { type DbHandle, openDb } from '@pulsestream/db';
import { sql } from 'drizzle-orm';

/** Opens the test database from inside workerd, the same way the Worker does. */
export function testDb(): DbHandle {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL binding missing in the test environment');
  return openDb({ databaseUrl: env.DATABASE_URL, wsProxy: env.DB_WS_PROXY || undefined });
}

/** Runs `fn` with a database handle and always closes it. */
export async function withDb<T>(fn: (db: DbHandle['db']) => Promise<T>): Promise<T> {
  const handle = testDb();
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** Empties every application table, so a test file starts from a known state. */
export async function truncateAll(): Promise<void> {
  await withDb(async (db) => {
    const { rows } = await db.execute<{ tablename: string }>(
      sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_migrations'`,
    );
    if (rows.length === 0) return;
    const list = rows.map((r) => `"${r.tablename}"`).join(', ');
    await db.execute(sql.raw(`TRUNCATE ${list} RESTART IDENTITY CASCADE`));
  });
}
