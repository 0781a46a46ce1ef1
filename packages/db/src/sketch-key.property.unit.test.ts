// The SQL bucket key (`ps_sketch_key`, baseline migration) against core's `sketchKey`: rollups are written by
// SQL and read back as DDSketches in TypeScript, so the two must put every value in the same bucket. Runs on
// the database the suite runs on: TEST_DATABASE_URL (CI's real PostgreSQL 15, glibc's ln) or, without it, an
// in-process PGlite (PostgreSQL compiled to WebAssembly, its own libm), after applying the real migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { logMapping } from '@pulsestream/core/ddsketch';
import { SKETCH_RELATIVE_ACCURACY, SKETCH_ZERO_KEY, sketchKey } from '@pulsestream/core/sketch-buckets';
import { MAX_KEY, MIN_KEY, sketchValue, ulpStep } from '@pulsestream/core/sketch-buckets.arbitraries';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type SqlRunner } from './migrator';

const MIGRATIONS = join(import.meta.dirname, '..', '..', '..', 'migrations');

let db: SqlRunner;
let close: () => Promise<void>;

beforeAll(async () => {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    db = client;
    close = () => client.end();
  } else {
    const lite = await PGlite.create();
    db = { query: (text, params) => lite.query(text, params) as Promise<{ rows: Record<string, unknown>[] }> };
    close = () => lite.close();
  }
  const files = readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .map((name) => ({ name, sql: readFileSync(join(MIGRATIONS, name), 'utf8') }));
  await migrate(db, files);
}, 120_000);

afterAll(async () => {
  await close?.();
});

/** ps_sketch_key of each value, in order (float8 travels as its shortest round-trip decimal, exact). */
async function sqlKeys(values: readonly number[]): Promise<number[]> {
  const { rows } = await db.query(
    'SELECT ps_sketch_key(v) AS k FROM unnest($1::float8[]) WITH ORDINALITY AS t(v, i) ORDER BY i',
    [values.map((v) => String(v))],
  );
  return rows.map((r) => Number(r.k));
}

/** The values whose keys differ, with both keys, for a readable failure. */
async function disagreements(values: readonly number[]) {
  const keys = await sqlKeys(values);
  return values.flatMap((v, i) => (keys[i] === sketchKey(v) ? [] : [{ v, sql: keys[i], ts: sketchKey(v) }]));
}

describe('ps_sketch_key (SQL) and sketchKey (TypeScript)', () => {
  it('agree at both sides of every bucket edge from 1e-9 to the largest double', async () => {
    const mapping = logMapping(SKETCH_RELATIVE_ACCURACY);
    const values: number[] = [];
    for (let k = MIN_KEY; k <= MAX_KEY; k++) {
      // The exact boundary and the power gamma ** k (libm's pow), each with 2 ulps either side.
      for (const edge of [mapping.edge(k), mapping.gamma ** k]) {
        for (let s = -2; s <= 2; s++) values.push(ulpStep(edge, s));
      }
    }
    expect(values.length).toBeGreaterThan(300_000);
    // Covers the range claimed: from the first key above the zero threshold to the key of 1e308.
    expect(sketchKey(values[2] ?? 0)).toBe(MIN_KEY);
    expect(sketchKey(1e308)).toBeLessThanOrEqual(MAX_KEY);
    const bad: Awaited<ReturnType<typeof disagreements>> = [];
    for (let i = 0; i < values.length; i += 20_000) bad.push(...(await disagreements(values.slice(i, i + 20_000))));
    expect(bad.slice(0, 10)).toEqual([]);
  }, 300_000);

  it('agree on edges moved by a few ulps, the zero threshold, zero, negatives and any double', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sketchValue, { minLength: 1, maxLength: 300 }), async (values) => {
        expect(await disagreements(values)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('put zero, negatives and values up to 1e-9 in the zero bucket on both sides', async () => {
    const values = [0, -0, -5, -1e308, 1e-9, 1e-10, Number.MIN_VALUE];
    expect(await sqlKeys(values)).toEqual(values.map(() => SKETCH_ZERO_KEY));
    expect(values.map(sketchKey)).toEqual(values.map(() => SKETCH_ZERO_KEY));
  });
});
