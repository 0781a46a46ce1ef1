import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDb, startEmbeddedDb } from './embedded-db';
import { loadMigrationFiles, migrateUrl } from './migrations';
import { findFreePort } from './ports';

let db: EmbeddedDb;

beforeAll(async () => {
  db = await startEmbeddedDb({ port: await findFreePort() });
}, 60_000);

afterAll(async () => {
  await db?.stop();
});

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('migration runner', () => {
  it('applies every migration once, records it, and applies nothing the second time', async () => {
    const files = loadMigrationFiles();
    expect(files.length).toBeGreaterThanOrEqual(1);

    const first = await migrateUrl(db.url);
    expect(first.applied).toEqual(files.map((f) => f.name));
    const second = await migrateUrl(db.url);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(files.map((f) => f.name));

    const recorded = await query<{ name: string }>('SELECT name FROM _migrations ORDER BY name');
    expect(recorded.map((r) => r.name)).toEqual(files.map((f) => f.name));
  }, 60_000);

  it('gives plain Postgres a BRIN index on events.ts', async () => {
    const rows = await query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'events' AND indexname = 'events_ts_brin'",
    );
    expect(rows[0]?.indexdef).toMatch(/USING brin \(ts\)/);
  });

  it('refuses a migration that changed after it was applied', async () => {
    const [firstFile] = loadMigrationFiles();
    if (!firstFile) throw new Error('no migrations');
    await query('UPDATE _migrations SET checksum = $1 WHERE name = $2', ['tampered', firstFile.name]);
    await expect(migrateUrl(db.url)).rejects.toThrow(/changed after it was applied/);
  });

  it('names a database migrated with a chain this checkout does not have instead of applying on top of it', async () => {
    // A database created before the squash: it records the old chain and not the baseline.
    const stale = await startEmbeddedDb({ port: await findFreePort() });
    try {
      const client = new pg.Client({ connectionString: stale.url });
      await client.connect();
      try {
        await client.query(`CREATE TABLE _migrations (name text PRIMARY KEY, checksum text NOT NULL,
                                                      applied_at timestamptz NOT NULL DEFAULT now())`);
        await client.query(
          `INSERT INTO _migrations (name, checksum) VALUES ('0000_init.sql', 'x'), ('0012_old.sql', 'y')`,
        );
      } finally {
        await client.end();
      }
      await expect(migrateUrl(stale.url)).rejects.toThrow(
        /migrations this checkout does not have \(0000_init\.sql, 0012_old\.sql\).*delete its PS_DATA_DIR/s,
      );
      const check = new pg.Client({ connectionString: stale.url });
      await check.connect();
      try {
        // Nothing was applied.
        const tables = await check.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'events'");
        expect(tables.rows[0]?.n).toBe(0);
      } finally {
        await check.end();
      }
    } finally {
      await stale.stop();
    }
  }, 60_000);
});
