CREATE TABLE "event_latency_1m" (
	"tenant_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"latency_count" bigint NOT NULL,
	"latency_sum" double precision NOT NULL,
	"latency_min" double precision,
	"latency_max" double precision,
	"latency_sketch" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "event_latency_1m_pkey" PRIMARY KEY("tenant_id","minute","source")
);
--> statement-breakpoint
ALTER TABLE "event_rollups_1m" ADD COLUMN "latency_sketch" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- DDSketch bucket key of a latency, the same mapping as packages/core/src/ddsketch.ts with relative accuracy
-- 0.01: ceil(ln(v) / ln(gamma)), gamma = 1.01 / 0.99; values <= 1e-9 go to the zero bucket (-1000000).
-- Inlined by the planner (IMMUTABLE SQL), so it costs nothing per row.
CREATE OR REPLACE FUNCTION ps_sketch_key(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v <= 1e-9 THEN -1000000 ELSE ceil(ln(v) / ln(1.01::float8 / 0.99::float8))::integer END
$$;
--> statement-breakpoint
-- Adds two sparse sketches (bucket key -> count) for the rollup upserts: merge = add counts per key.
CREATE OR REPLACE FUNCTION ps_sketch_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(key, total), '{}'::jsonb)
  FROM (
    SELECT key, sum(value::bigint) AS total
    FROM (
      SELECT * FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
      UNION ALL
      SELECT * FROM jsonb_each_text(coalesce(b, '{}'::jsonb))
    ) kv
    GROUP BY key
  ) merged
$$;
--> statement-breakpoint
-- Backfill from the stored events, so rollups written before this migration get their histograms too.
UPDATE event_rollups_1m r SET latency_sketch = s.sketch
FROM (
  SELECT tenant_id, minute, source, endpoint, status_class, country, jsonb_object_agg(k, n) AS sketch
  FROM (
    SELECT tenant_id, date_trunc('minute', ts) AS minute, source, coalesce(endpoint, '') AS endpoint,
           coalesce(status / 100, 0)::smallint AS status_class, coalesce(country, '') AS country,
           ps_sketch_key(latency_ms) AS k, count(*) AS n
    FROM events WHERE latency_ms IS NOT NULL AND latency_ms >= 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7
  ) b
  GROUP BY 1, 2, 3, 4, 5, 6
) s
WHERE r.tenant_id = s.tenant_id AND r.minute = s.minute AND r.source = s.source AND r.endpoint = s.endpoint
  AND r.status_class = s.status_class AND r.country = s.country;
--> statement-breakpoint
INSERT INTO event_latency_1m (tenant_id, minute, source, latency_count, latency_sum, latency_min, latency_max,
                              latency_sketch)
SELECT tenant_id, minute, source, sum(n), sum(total), min(mn), max(mx), jsonb_object_agg(k, n)
FROM (
  SELECT tenant_id, date_trunc('minute', ts) AS minute, source, ps_sketch_key(latency_ms) AS k, count(*) AS n,
         sum(latency_ms) AS total, min(latency_ms) AS mn, max(latency_ms) AS mx
  FROM events WHERE latency_ms IS NOT NULL AND latency_ms >= 0
  GROUP BY 1, 2, 3, 4
) b
GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
