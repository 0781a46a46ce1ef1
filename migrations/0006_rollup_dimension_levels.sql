-- Country and status-class levels in event_rollups_agg_1m, so series grouped by country or by status class
-- read a few rows per bucket instead of merging every (source, endpoint, status, country) row: by minute,
-- source chr(1) || 'country' with endpoint = the country ('' when unknown) and source chr(1) || 'status' with
-- endpoint = the status class ('0' for none, '1'..'5'); by hour, the same with 'h' appended to the source and
-- minute = the hour's start. Each row has its latency sketch. insertEvents writes them from now on; this
-- backfills them from the full minute rollups, and is idempotent (scripts/bench/query.ts runs it again after
-- generating its data). Before it: one-pass percentiles for the level rows' trigger, and an index for the
-- endpoint level.

-- A bucket key's representative value, 2 * gamma^k / (gamma + 1) (0 for the zero bucket), clamped to [min, max].
CREATE OR REPLACE FUNCTION ps_sketch_value(k integer, mn double precision, mx double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k IS NULL THEN NULL ELSE
    least(coalesce(mx, 'Infinity'::float8), greatest(coalesce(mn, '-Infinity'::float8),
      CASE WHEN k = -1000000 THEN 0
           ELSE 2 * power(1.01::float8 / 0.99::float8, k) / (1.01::float8 / 0.99::float8 + 1) END)) END
$$;
--> statement-breakpoint
-- p50, p95 and p99 of a sparse sketch in one pass: the trigger used to scan each sketch three times, once per
-- percentile, on every upsert of every level row. Same rule as 0003's ps_sketch_quantile (dropped below): the
-- first bucket whose cumulative count exceeds q * (n - 1).
CREATE OR REPLACE FUNCTION ps_sketch_quantiles(s jsonb, mn double precision, mx double precision)
RETURNS double precision[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array[ps_sketch_value(min(k) FILTER (WHERE cum > 0.5 * (n - 1)), mn, mx),
               ps_sketch_value(min(k) FILTER (WHERE cum > 0.95 * (n - 1)), mn, mx),
               ps_sketch_value(min(k) FILTER (WHERE cum > 0.99 * (n - 1)), mn, mx)]
  FROM (
    SELECT k, sum(c) OVER (ORDER BY k) AS cum, sum(c) OVER () AS n
    FROM (SELECT key::integer AS k, value::float8 AS c FROM jsonb_each_text(s)) e
  ) x
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ps_rollup_agg_quantiles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  q double precision[];
BEGIN
  IF NEW.latency_sketch = '{}'::jsonb THEN
    NEW.latency_p50 := NULL;
    NEW.latency_p95 := NULL;
    NEW.latency_p99 := NULL;
  ELSE
    q := ps_sketch_quantiles(NEW.latency_sketch, NEW.latency_min, NEW.latency_max);
    NEW.latency_p50 := q[1];
    NEW.latency_p95 := q[2];
    NEW.latency_p99 := q[3];
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- Replaced by ps_sketch_quantiles; nothing else calls it.
DROP FUNCTION IF EXISTS ps_sketch_quantile(jsonb, double precision, double precision, double precision);
--> statement-breakpoint
-- The endpoint level (top endpoints and top errors of a summary) as an index-only scan: with the country and
-- status levels the table is wider, and a sequential pass over a tenant's day of rows cost 30 ms.
CREATE INDEX IF NOT EXISTS event_rollups_agg_1m_endpoint_level ON event_rollups_agg_1m (tenant_id, minute)
  INCLUDE (source, endpoint, count, errors, latency_count, latency_sum)
  WHERE left(source, 1) <> chr(1) AND endpoint <> chr(1);
--> statement-breakpoint
WITH d AS (
  SELECT tenant_id, b.minute, chr(1) || 'country' || b.suffix AS src, country AS ep, count, errors,
         latency_count, latency_sum, latency_min, latency_max, latency_sketch
  FROM event_rollups_1m r
  CROSS JOIN LATERAL (VALUES (r.minute, ''), (date_trunc('hour', r.minute), 'h')) AS b(minute, suffix)
  UNION ALL
  SELECT tenant_id, b.minute, chr(1) || 'status' || b.suffix, status_class::text, count, errors,
         latency_count, latency_sum, latency_min, latency_max, latency_sketch
  FROM event_rollups_1m r
  CROSS JOIN LATERAL (VALUES (r.minute, ''), (date_trunc('hour', r.minute), 'h')) AS b(minute, suffix)
), totals AS (
  SELECT tenant_id, minute, src, ep, sum(count) AS c, sum(errors) AS e, sum(latency_count) AS lc,
         sum(latency_sum) AS ls, min(latency_min) AS mn, max(latency_max) AS mx
  FROM d GROUP BY 1, 2, 3, 4
), sketches AS (
  SELECT tenant_id, minute, src, ep, jsonb_object_agg(k, n) AS s
  FROM (
    SELECT tenant_id, minute, src, ep, kv.key AS k, sum(kv.value::bigint) AS n
    FROM d CROSS JOIN LATERAL jsonb_each_text(d.latency_sketch) AS kv
    GROUP BY 1, 2, 3, 4, 5
  ) x
  GROUP BY 1, 2, 3, 4
)
INSERT INTO event_rollups_agg_1m (tenant_id, source, endpoint, minute, count, errors, latency_count, latency_sum,
                                  latency_min, latency_max, latency_sketch)
SELECT t.tenant_id, t.src, t.ep, t.minute, t.c, t.e, t.lc, t.ls, t.mn, t.mx, coalesce(s.s, '{}'::jsonb)
FROM totals t
LEFT JOIN sketches s ON s.tenant_id = t.tenant_id AND s.minute = t.minute AND s.src = t.src AND s.ep = t.ep
ON CONFLICT DO NOTHING;
