import { sql } from 'drizzle-orm';
import type { Database } from '../client';

/** Round-trips a trivial query: proves the driver, the proxy (locally) and the server all answer. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
