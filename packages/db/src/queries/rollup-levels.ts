import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import { dimensionValue, levelLiteral, ROLLUP_LEVELS, type RollupLevel } from '../schema/rollup-levels';

/**
 * Rebuilds levels of `event_rollups_agg_1m` from the full minute rollups (`event_rollups_1m`), for the rows
 * that are missing: the same rows `insertEvents` writes (counts, sums, min/max, merged sketches at the levels
 * that carry one), derived from the same table of levels. Idempotent (`ON CONFLICT DO NOTHING`): rows already
 * there are left alone. For bulk loads that write the full rollups directly (the query benchmark) and for
 * checking the writer against an independent derivation (tests).
 */
export async function rebuildRollupLevels(
  db: Database,
  opts: { tenantId?: string; levels?: readonly RollupLevel[] } = {},
): Promise<void> {
  const levels = ROLLUP_LEVELS.filter((l) => opts.levels === undefined || opts.levels.includes(l.level));
  if (levels.length === 0) return;
  const tenant = opts.tenantId === undefined ? sql`true` : sql`r.tenant_id = ${opts.tenantId}::uuid`;
  // One projection of the full rollups per level (names and columns from the fixed table, never from input).
  const projections = levels.map(
    (l) => sql`
      SELECT r.tenant_id, ${levelLiteral(l.level)} AS level, ${sql.raw(l.bySource ? 'r.source' : "''")} AS source,
             ${sql.raw(dimensionValue(l.dimension, 'r.'))} AS dimension,
             ${sql.raw(l.grain === 'hour' ? "date_trunc('hour', r.minute)" : 'r.minute')} AS minute,
             r.count, r.errors, r.latency_count, r.latency_sum, r.latency_min, r.latency_max,
             ${sql.raw(l.sketch ? 'r.latency_sketch' : "'{}'::jsonb")} AS latency_sketch
      FROM event_rollups_1m r WHERE ${tenant}`,
  );
  await db.execute(sql`
    WITH d AS (${sql.join(projections, sql` UNION ALL `)}
    ), totals AS (
      SELECT tenant_id, level, source, dimension, minute, sum(count) AS c, sum(errors) AS e,
             sum(latency_count) AS lc, sum(latency_sum) AS ls, min(latency_min) AS mn, max(latency_max) AS mx
      FROM d GROUP BY 1, 2, 3, 4, 5
    ), sketches AS (
      SELECT tenant_id, level, source, dimension, minute, jsonb_object_agg(k, n) AS s
      FROM (
        SELECT tenant_id, level, source, dimension, minute, kv.key AS k, sum(kv.value::bigint) AS n
        FROM d CROSS JOIN LATERAL jsonb_each_text(d.latency_sketch) AS kv
        GROUP BY 1, 2, 3, 4, 5, 6
      ) x
      GROUP BY 1, 2, 3, 4, 5
    )
    INSERT INTO event_rollups_agg_1m (tenant_id, level, source, dimension, minute, count, errors, latency_count,
                                      latency_sum, latency_min, latency_max, latency_sketch)
    SELECT t.tenant_id, t.level, t.source, t.dimension, t.minute, t.c, t.e, t.lc, t.ls, t.mn, t.mx,
           coalesce(s.s, '{}'::jsonb)
    FROM totals t
    LEFT JOIN sketches s ON s.tenant_id = t.tenant_id AND s.level = t.level AND s.source = t.source
      AND s.dimension = t.dimension AND s.minute = t.minute
    ON CONFLICT DO NOTHING`);
}
