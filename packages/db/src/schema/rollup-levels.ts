import { type SQL, sql } from 'drizzle-orm';
import { pgEnum } from 'drizzle-orm/pg-core';

/**
 * THE table of rollup levels of `event_rollups_agg_1m`: the one place that says which levels exist, what each
 * groups by and at which grain. The writer (`insertEvents`, `rebuildRollupLevels`) and every reader (metrics,
 * summary, retention, reports and alerting through them, the load-test reconciler) derive their SQL from it;
 * no query spells a level any other way.
 *
 * A row's level is the `level` column (enum `rollup_level`, part of the primary key). Besides the tenant and
 * the time bucket a level groups by at most two things:
 * - `source`: the event's source at the levels that group by it (`bySource`), '' at the others;
 * - `dimension`: the value of the level's `dimension` (the endpoint, '' when missing; the country, '' when
 *   unknown; the status class as text, '0' when the event had no status, '1'..'5'), '' when it has none.
 * `grain` is the bucket: `minute`, or `hour` (the row's `minute` is then the hour's start). Levels with
 * `sketch` carry the merged latency histogram (and the trigger's p50/p95/p99); the others keep counts only.
 */
export const ROLLUP_LEVELS = [
  { level: 'tenant', grain: 'minute', bySource: false, dimension: null, sketch: true },
  { level: 'tenant_hour', grain: 'hour', bySource: false, dimension: null, sketch: true },
  { level: 'source', grain: 'minute', bySource: true, dimension: null, sketch: true },
  { level: 'endpoint', grain: 'minute', bySource: true, dimension: 'endpoint', sketch: false },
  { level: 'country', grain: 'minute', bySource: false, dimension: 'country', sketch: true },
  { level: 'country_hour', grain: 'hour', bySource: false, dimension: 'country', sketch: true },
  { level: 'status', grain: 'minute', bySource: false, dimension: 'status_class', sketch: true },
  { level: 'status_hour', grain: 'hour', bySource: false, dimension: 'status_class', sketch: true },
] as const;

export type RollupLevelSpec = (typeof ROLLUP_LEVELS)[number];
export type RollupLevel = RollupLevelSpec['level'];
/** A column of the full minute rollups (`event_rollups_1m`) a level can group by. */
export type RollupDimension = NonNullable<RollupLevelSpec['dimension']>;

/** The Postgres enum of {@link ROLLUP_LEVELS}, in the table's order. */
export const rollupLevelEnum = pgEnum(
  'rollup_level',
  ROLLUP_LEVELS.map((l) => l.level) as [RollupLevel, ...RollupLevel[]],
);

/** The spec of one level. */
export function rollupLevel(level: RollupLevel): RollupLevelSpec {
  const spec = ROLLUP_LEVELS.find((l) => l.level === level);
  if (!spec) throw new Error(`unknown rollup level ${level}`);
  return spec;
}

/**
 * The SQL literal of a level (`'tenant'::rollup_level`). A literal, not a bind parameter, so the planner can
 * match the partial index on the endpoint level; the names come from the table above, never from input.
 */
export function levelLiteral(level: RollupLevel): SQL {
  return sql.raw(`'${rollupLevel(level).level}'::rollup_level`);
}

/** `level = '<level>'` for one level, optionally of a qualified column (`a.level`). */
export function levelIs(level: RollupLevel, column = 'level'): SQL {
  return sql`${sql.raw(column)} = ${levelLiteral(level)}`;
}

/** `level IN (…)` over the levels that carry a latency sketch. */
export function levelHasSketch(column = 'level'): SQL {
  const names = ROLLUP_LEVELS.filter((l) => l.sketch).map((l) => levelLiteral(l.level));
  return sql`${sql.raw(column)} IN (${sql.join(names, sql`, `)})`;
}

/** SQL for the `dimension` column's value at a level, from a row of `event_rollups_1m`-shaped columns. */
export function dimensionValue(dimension: RollupDimension | null, prefix = ''): string {
  if (dimension === null) return "''";
  return dimension === 'status_class' ? `${prefix}status_class::text` : `${prefix}${dimension}`;
}
