-- events becomes a TimescaleDB hypertable where the extension is available; plain Postgres (the embedded
-- default, CI) gets a BRIN index on time instead. Both keep the same columns, so the app never branches.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    -- Hypertables require the partitioning column in every unique index.
    ALTER TABLE events DROP CONSTRAINT events_pkey;
    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id, ts);
    PERFORM create_hypertable('events', 'ts', chunk_time_interval => INTERVAL '1 day', migrate_data => true);
  ELSE
    CREATE INDEX IF NOT EXISTS events_ts_brin ON events USING brin (ts);
  END IF;
END
$$;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS event_rollups_1m_minute_brin ON event_rollups_1m USING brin (minute);
