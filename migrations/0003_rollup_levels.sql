CREATE TABLE "event_rollups_agg_1m" (
	"tenant_id" uuid NOT NULL,
	"source" text NOT NULL,
	"endpoint" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"latency_count" bigint NOT NULL,
	"latency_sum" double precision NOT NULL,
	"latency_min" double precision,
	"latency_max" double precision,
	"latency_sketch" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"latency_p50" double precision,
	"latency_p95" double precision,
	"latency_p99" double precision,
	CONSTRAINT "event_rollups_agg_1m_pkey" PRIMARY KEY("tenant_id","source","endpoint","minute")
);
--> statement-breakpoint
DROP TABLE "event_latency_1m" CASCADE;--> statement-breakpoint
-- The q-quantile of a sparse sketch, exactly as core's DDSketch.quantile computes it: the first bucket whose
-- cumulative count exceeds q * (n - 1), reported as 2 * gamma^k / (gamma + 1), clamped to [min, max].
CREATE OR REPLACE FUNCTION ps_sketch_quantile(s jsonb, q double precision, mn double precision,
                                              mx double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT least(coalesce(mx, 'Infinity'::float8), greatest(coalesce(mn, '-Infinity'::float8),
           CASE WHEN k = -1000000 THEN 0
                ELSE 2 * power(1.01::float8 / 0.99::float8, k) / (1.01::float8 / 0.99::float8 + 1) END))
  FROM (
    SELECT k, sum(c) OVER (ORDER BY k) AS cum, sum(c) OVER () AS n
    FROM (SELECT key::integer AS k, value::float8 AS c FROM jsonb_each_text(s)) e
  ) x
  WHERE cum > q * (n - 1)
  ORDER BY k
  LIMIT 1
$$;
--> statement-breakpoint
-- Keeps the percentile columns in step with the merged sketch on every insert and upsert, so 1m series read
-- them without merging. Rows without a sketch (endpoint level) have none.
CREATE OR REPLACE FUNCTION ps_rollup_agg_quantiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.latency_sketch = '{}'::jsonb THEN
    NEW.latency_p50 := NULL;
    NEW.latency_p95 := NULL;
    NEW.latency_p99 := NULL;
  ELSE
    NEW.latency_p50 := ps_sketch_quantile(NEW.latency_sketch, 0.5, NEW.latency_min, NEW.latency_max);
    NEW.latency_p95 := ps_sketch_quantile(NEW.latency_sketch, 0.95, NEW.latency_min, NEW.latency_max);
    NEW.latency_p99 := ps_sketch_quantile(NEW.latency_sketch, 0.99, NEW.latency_min, NEW.latency_max);
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER event_rollups_agg_1m_quantiles BEFORE INSERT OR UPDATE ON event_rollups_agg_1m
FOR EACH ROW EXECUTE FUNCTION ps_rollup_agg_quantiles();
--> statement-breakpoint
-- Backfill from the stored events.
INSERT INTO event_rollups_agg_1m (tenant_id, source, endpoint, minute, count, errors, latency_count, latency_sum,
                                  latency_min, latency_max, latency_sketch)
SELECT tenant_id, src, ep, minute, sum(n), sum(errors), sum(latency_count), sum(latency_sum), min(latency_min),
       max(latency_max),
       CASE WHEN ep = '*' THEN coalesce(jsonb_object_agg(k, latency_count) FILTER (WHERE k IS NOT NULL), '{}'::jsonb)
            ELSE '{}'::jsonb END
FROM (
  SELECT tenant_id, minute, CASE WHEN grouping(source) = 1 THEN '*' ELSE source END AS src,
         CASE WHEN grouping(endpoint) = 1 THEN '*' ELSE endpoint END AS ep, k,
         count(*) AS n, count(*) FILTER (WHERE type = 'error' OR status >= 500) AS errors,
         count(latency_ms) AS latency_count, coalesce(sum(latency_ms), 0) AS latency_sum,
         min(latency_ms) AS latency_min, max(latency_ms) AS latency_max
  FROM (
    SELECT tenant_id, date_trunc('minute', ts) AS minute, source, coalesce(endpoint, '') AS endpoint, type, status,
           latency_ms, CASE WHEN latency_ms >= 0 THEN ps_sketch_key(latency_ms) END AS k
    FROM events
  ) e
  GROUP BY GROUPING SETS ((tenant_id, minute, k), (tenant_id, minute, source, k),
                          (tenant_id, minute, source, endpoint, k))
) levels
GROUP BY tenant_id, src, ep, minute;
