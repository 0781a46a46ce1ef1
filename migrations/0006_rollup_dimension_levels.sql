-- Country and status-class levels in event_rollups_agg_1m, so series grouped by country or by status class
-- read a few rows per bucket instead of merging every (source, endpoint, status, country) row: by minute,
-- source chr(1) || 'country' with endpoint = the country ('' when unknown) and source chr(1) || 'status' with
-- endpoint = the status class ('0' for none, '1'..'5'); by hour, the same with 'h' appended to the source and
-- minute = the hour's start. Each row has its latency sketch. insertEvents writes them from now on; this
-- backfills them from the full minute rollups, and is idempotent (scripts/bench/query.ts runs it again after
-- generating its data).
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
