/**
 * Applies the SQL files in `migrations/` in name order, once each, recording what it applied with a
 * checksum. Idempotent: a second run applies nothing; a changed file that was already applied is an error,
 * because migrations are append-only.
 */
import { sha256Hex } from '@pulsestream/core/hex';

export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface MigrationFile {
  name: string;
  sql: string;
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

const LOCK_ID = 715_002_001;

/**
 * The database records migrations this checkout does not have while some of this checkout's are still
 * pending: their histories diverged, most likely a database created before the migrations were squashed into
 * `0000_baseline.sql`. Applying the pending files on top would fail half-way or build a different schema.
 */
export class MigrationHistoryMismatchError extends Error {
  constructor(
    readonly unknown: string[],
    readonly pending: string[],
  ) {
    super(
      `the database was migrated with migrations this checkout does not have (${unknown.join(', ')}), and ` +
        `${pending.join(', ')} would be applied on top of them. The migrations were squashed into one baseline ` +
        '(0000_baseline.sql) before anything was deployed: recreate this database (for `npm run dev`, delete ' +
        'its PS_DATA_DIR, .data/pglite by default) and migrate again.',
    );
    this.name = 'MigrationHistoryMismatchError';
  }
}

/** Splits a drizzle-kit migration into statements at its `--> statement-breakpoint` markers. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Runs every pending migration, each in its own transaction, under an advisory lock. */
export async function migrate(db: SqlRunner, files: MigrationFile[]): Promise<MigrationResult> {
  await db.query(`CREATE TABLE IF NOT EXISTS _migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
  try {
    const done = new Map<string, string>();
    const { rows } = await db.query('SELECT name, checksum FROM _migrations');
    for (const row of rows) done.set(String(row.name), String(row.checksum));

    const known = new Set(files.map((f) => f.name));
    const unknown = [...done.keys()].filter((name) => !known.has(name)).sort();
    const pending = files
      .map((f) => f.name)
      .filter((name) => !done.has(name))
      .sort();
    // Unknown names alone are a newer database opened by an older checkout: nothing to apply, nothing to do.
    if (unknown.length > 0 && pending.length > 0) throw new MigrationHistoryMismatchError(unknown, pending);

    const result: MigrationResult = { applied: [], skipped: [] };
    for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
      const checksum = await sha256Hex(file.sql);
      const previous = done.get(file.name);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new Error(
            `migration ${file.name} was changed after it was applied; add a new migration instead` +
              (file.name.includes('baseline')
                ? ' (or, if the baseline was re-squashed before anything was deployed, recreate this database)'
                : ''),
          );
        }
        result.skipped.push(file.name);
        continue;
      }
      await db.query('BEGIN');
      try {
        for (const statement of splitStatements(file.sql)) await db.query(statement);
        await db.query('INSERT INTO _migrations (name, checksum) VALUES ($1, $2)', [file.name, checksum]);
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK');
        throw new Error(`migration ${file.name} failed: ${(err as Error).message}`);
      }
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]);
  }
}
