-- Tenant-level hourly rows in event_rollups_agg_1m (source '*hour', endpoint '*', minute = the hour's start),
-- so a summary or a 1h/1d series over a day merges 24 sketches instead of 1,440. insertEvents writes them
-- from now on; this backfills them from the tenant-level minute rows.
WITH m AS (
  SELECT tenant_id, date_trunc('hour', minute) AS hour, count, errors, latency_count, latency_sum, latency_min,
         latency_max, latency_sketch
  FROM event_rollups_agg_1m WHERE source = '*' AND endpoint = '*'
), totals AS (
  SELECT tenant_id, hour, sum(count) AS c, sum(errors) AS e, sum(latency_count) AS lc, sum(latency_sum) AS ls,
         min(latency_min) AS mn, max(latency_max) AS mx
  FROM m GROUP BY 1, 2
), sketches AS (
  SELECT tenant_id, hour, jsonb_object_agg(k, n) AS s
  FROM (
    SELECT tenant_id, hour, kv.key AS k, sum(kv.value::bigint) AS n
    FROM m CROSS JOIN LATERAL jsonb_each_text(m.latency_sketch) AS kv
    GROUP BY 1, 2, 3
  ) x
  GROUP BY 1, 2
)
INSERT INTO event_rollups_agg_1m (tenant_id, source, endpoint, minute, count, errors, latency_count, latency_sum,
                                  latency_min, latency_max, latency_sketch)
SELECT t.tenant_id, '*hour', '*', t.hour, t.c, t.e, t.lc, t.ls, t.mn, t.mx, coalesce(s.s, '{}'::jsonb)
FROM totals t LEFT JOIN sketches s ON s.tenant_id = t.tenant_id AND s.hour = t.hour
ON CONFLICT DO NOTHING;
