-- The "all" marker of event_rollups_agg_1m becomes chr(1) (and the tenant hour's source chr(1) || 'h'): '*'
-- and '*hour' are valid source and endpoint values, so a tenant sending source "*" would have been counted
-- into its own tenant rows. Sources and endpoints cannot contain control characters, so chr(1) cannot collide.
-- Rows already merged with a real '*' source cannot be told apart; this runs before any production data.
UPDATE event_rollups_agg_1m SET
  source = CASE source WHEN '*' THEN chr(1) WHEN '*hour' THEN chr(1) || 'h' ELSE source END,
  endpoint = CASE WHEN endpoint = '*' THEN chr(1) ELSE endpoint END
WHERE source IN ('*', '*hour') OR endpoint = '*';
