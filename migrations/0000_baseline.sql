CREATE TYPE "public"."rollup_level" AS ENUM('tenant', 'tenant_hour', 'source', 'endpoint', 'country', 'country_hour', 'status', 'status_hour');--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"metric" text NOT NULL,
	"filter_source" text,
	"filter_endpoint" text,
	"window" text NOT NULL,
	"condition" jsonb NOT NULL,
	"for_ms" integer NOT NULL,
	"recover_below" double precision,
	"severity" text NOT NULL,
	"channel_ids" uuid[] NOT NULL,
	"enabled" boolean NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_transitions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"alert_id" uuid NOT NULL,
	"from_state" text NOT NULL,
	"to_state" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"value" double precision,
	"threshold" double precision,
	"silenced" boolean DEFAULT false NOT NULL,
	"actor" text
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"rule_name" text NOT NULL,
	"severity" text NOT NULL,
	"source" text,
	"metric" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid,
	"value" double precision,
	"threshold" double precision,
	"silenced" boolean DEFAULT false NOT NULL,
	"explanation" jsonb
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"signing_secret" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"delivery_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_code" integer,
	"ok" boolean NOT NULL,
	"error" text,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"alert_id" uuid,
	"report_id" text,
	"event" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "silences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"rule_id" uuid,
	"source" text,
	"severity" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"comment" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anomaly_vectors" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"metric" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"label" text NOT NULL,
	"embedding" double precision[] NOT NULL,
	CONSTRAINT "anomaly_vectors_pkey" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"ip" text,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"queue" text NOT NULL,
	"message_id" text NOT NULL,
	"body" text NOT NULL,
	"reason" text NOT NULL,
	"attempts" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"redriven_at" timestamp with time zone,
	"redrive_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "dead_letters_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "event_rollups_1m" (
	"tenant_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"endpoint" text DEFAULT '' NOT NULL,
	"status_class" smallint NOT NULL,
	"country" text DEFAULT '' NOT NULL,
	"count" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"latency_count" bigint NOT NULL,
	"latency_sum" double precision NOT NULL,
	"latency_min" double precision,
	"latency_max" double precision,
	"latency_sketch" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "event_rollups_1m_pkey" PRIMARY KEY("tenant_id","minute","source","endpoint","status_class","country")
);
--> statement-breakpoint
CREATE TABLE "event_rollups_agg_1m" (
	"tenant_id" uuid NOT NULL,
	"level" "rollup_level" NOT NULL,
	"source" text NOT NULL,
	"dimension" text NOT NULL,
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
	CONSTRAINT "event_rollups_agg_1m_pkey" PRIMARY KEY("tenant_id","level","source","dimension","minute")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"source" text NOT NULL,
	"endpoint" text,
	"method" text,
	"status" integer,
	"latency_ms" double precision,
	"country" text,
	"region" text,
	"city" text,
	"colo" text,
	"asn" integer,
	"properties" jsonb,
	CONSTRAINT "events_pkey" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"family_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"rotated_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "refresh_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "report_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"format" text NOT NULL,
	"range" text NOT NULL,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"channel_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_schedules_format_check" CHECK ("report_schedules"."format" IN ('csv', 'parquet')),
	CONSTRAINT "report_schedules_range_check" CHECK ("report_schedules"."range" IN ('last_1h', 'last_24h', 'last_7d'))
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"schedule_id" uuid,
	"scheduled_for" timestamp with time zone,
	"format" text NOT NULL,
	"range_from" timestamp with time zone NOT NULL,
	"range_to" timestamp with time zone NOT NULL,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"rows" bigint,
	"bytes" bigint,
	"object_key" text,
	"error" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"notified_at" timestamp with time zone,
	CONSTRAINT "reports_schedule_run_key" UNIQUE("schedule_id","scheduled_for"),
	CONSTRAINT "reports_status_check" CHECK ("reports"."status" IN ('queued', 'running', 'ready', 'failed')),
	CONSTRAINT "reports_format_check" CHECK ("reports"."format" IN ('csv', 'parquet'))
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"plan" text DEFAULT 'free' NOT NULL,
	"retention_days" integer DEFAULT 30 NOT NULL,
	"monthly_event_quota" bigint DEFAULT 10000000 NOT NULL,
	"rate_limit_per_sec" integer DEFAULT 1000 NOT NULL,
	"rate_limit_burst" integer DEFAULT 5000 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "tenants_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"accepted" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	"rate_limited" bigint DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_daily_pkey" PRIMARY KEY("tenant_id","day")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_transitions" ADD CONSTRAINT "alert_transitions_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_attempts" ADD CONSTRAINT "notification_attempts_delivery_id_notification_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."notification_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "silences" ADD CONSTRAINT "silences_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_schedule_id_report_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."report_schedules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_rules_tenant_idx" ON "alert_rules" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "alert_transitions_alert_idx" ON "alert_transitions" USING btree ("alert_id","at");--> statement-breakpoint
CREATE INDEX "alerts_tenant_started_idx" ON "alerts" USING btree ("tenant_id","started_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_per_rule" ON "alerts" USING btree ("tenant_id","rule_id") WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX "channels_tenant_idx" ON "channels" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "notification_attempts_delivery_idx" ON "notification_attempts" USING btree ("delivery_id","attempt");--> statement-breakpoint
CREATE INDEX "notification_deliveries_alert_idx" ON "notification_deliveries" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "notification_deliveries_tenant_idx" ON "notification_deliveries" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "silences_tenant_idx" ON "silences" USING btree ("tenant_id","ends_at");--> statement-breakpoint
CREATE INDEX "anomaly_vectors_tenant_metric_idx" ON "anomaly_vectors" USING btree ("tenant_id","metric");--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_idx" ON "audit_log" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "dead_letters_tenant_idx" ON "dead_letters" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "events_tenant_ts_idx" ON "events" USING btree ("tenant_id","ts" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "refresh_tokens_family_idx" ON "refresh_tokens" USING btree ("family_id");--> statement-breakpoint
CREATE INDEX "report_schedules_tenant_idx" ON "report_schedules" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "report_schedules_due_idx" ON "report_schedules" USING btree ("next_run_at") WHERE "report_schedules"."enabled";--> statement-breakpoint
CREATE INDEX "reports_tenant_idx" ON "reports" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "reports_created_idx" ON "reports" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "reports_running_idx" ON "reports" USING btree ("started_at") WHERE "reports"."status" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_email_uq" ON "users" USING btree ("tenant_id","email");--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree ("email");--> statement-breakpoint
-- ============================================================================================================
-- Custom SQL (drizzle-kit does not generate it; carried over from the squashed chain 0000_init … 0012).
-- Everything above this line is drizzle-kit's output for packages/db/src/schema; everything below is
-- hand-written and must be carried into any future re-baseline. Reviewed against the old chain: a database
-- migrated with 0000–0012 and one migrated with this file give the same `pg_dump --schema-only` except for
-- event_rollups_agg_1m's explicit level (see docs/architecture.md, "Rollup levels").
-- ============================================================================================================
-- (from 0001) events becomes a TimescaleDB hypertable where the extension is available; plain Postgres (the
-- embedded default, CI) gets a BRIN index on time instead. Both keep the same columns, so the app never
-- branches.
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
-- (from 0001) Time-range scans of the full minute rollups (retention).
CREATE INDEX IF NOT EXISTS event_rollups_1m_minute_brin ON event_rollups_1m USING brin (minute);
--> statement-breakpoint
-- gamma^m (gamma = 1.01 / 0.99) for 0 <= m < 65536 by square-and-multiply over gamma^(2^i), ascending bits:
-- IEEE multiplications only, which PostgreSQL, PGlite and JavaScript all round alike, so it equals
-- packages/core/src/ddsketch.ts's logMapping(0.01).edge bit for bit. The constants are gamma squared
-- repeatedly, written as their shortest round-trip decimals (logMapping(0.01).squares); the property test in
-- packages/db/src/sketch-key.property.unit.test.ts fails if one is off.
CREATE OR REPLACE FUNCTION ps_sketch_gamma_power(m integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 1::float8
    * CASE WHEN m & 1 <> 0 THEN '1.02020202020202'::float8 ELSE 1 END
    * CASE WHEN m & 2 <> 0 THEN '1.040812162024283'::float8 ELSE 1 END
    * CASE WHEN m & 4 <> 0 THEN '1.0832899566176621'::float8 ELSE 1 END
    * CASE WHEN m & 8 <> 0 THEN '1.1735171301086964'::float8 ELSE 1 END
    * CASE WHEN m & 16 <> 0 THEN '1.3771424546585511'::float8 ELSE 1 END
    * CASE WHEN m & 32 <> 0 THEN '1.8965213404229795'::float8 ELSE 1 END
    * CASE WHEN m & 64 <> 0 THEN '3.596793194679775'::float8 ELSE 1 END
    * CASE WHEN m & 128 <> 0 THEN '12.93692128529474'::float8 ELSE 1 END
    * CASE WHEN m & 256 <> 0 THEN '167.36393234191212'::float8 ELSE 1 END
    * CASE WHEN m & 512 <> 0 THEN '28010.68584894814'::float8 ELSE 1 END
    * CASE WHEN m & 1024 <> 0 THEN '784598521.7284635'::float8 ELSE 1 END
    * CASE WHEN m & 2048 <> 0 THEN '615594840298490200'::float8 ELSE 1 END
    * CASE WHEN m & 4096 <> 0 THEN '3.789570074021237e+35'::float8 ELSE 1 END
    * CASE WHEN m & 8192 <> 0 THEN '1.4360841345917326e+71'::float8 ELSE 1 END
    * CASE WHEN m & 16384 <> 0 THEN '2.0623376416260856e+142'::float8 ELSE 1 END
    * CASE WHEN m & 32768 <> 0 THEN '4.2532365480678445e+284'::float8 ELSE 1 END
$$;
--> statement-breakpoint
-- Upper boundary of sketch bucket k (inclusive): gamma^k as above, 1 / gamma^-k below 1.
CREATE OR REPLACE FUNCTION ps_sketch_edge(k integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k >= 0 THEN ps_sketch_gamma_power(k) ELSE 1 / ps_sketch_gamma_power(-k) END
$$;
--> statement-breakpoint
-- (from 0002, edges made exact) DDSketch bucket key of a latency, the same mapping as
-- packages/core/src/ddsketch.ts with relative accuracy 0.01 (sketchKey in packages/core/src/sketch-buckets.ts;
-- the property test above checks they agree at every bucket edge from 1e-9 to the largest double):
-- ceil(ln(v) / ln(gamma)), gamma = 1.01 / 0.99, except within 1e-6 (EDGE_BAND) of a boundary, where ln's last
-- bit differs between libms and the exact comparison with ps_sketch_edge decides. Values <= 1e-9 (and
-- negatives) go to the zero bucket (-1000000). Inlined by the planner (IMMUTABLE SQL, no subquery), so it
-- costs a few arithmetic operations per row.
CREATE OR REPLACE FUNCTION ps_sketch_key(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v <= 1e-9 THEN -1000000
    WHEN abs(ln(v) / ln(1.01::float8 / 0.99::float8) - round(ln(v) / ln(1.01::float8 / 0.99::float8))) >= 1e-6
      THEN ceil(ln(v) / ln(1.01::float8 / 0.99::float8))::integer
    ELSE round(ln(v) / ln(1.01::float8 / 0.99::float8))::integer
         + CASE WHEN v <= ps_sketch_edge(round(ln(v) / ln(1.01::float8 / 0.99::float8))::integer) THEN 0 ELSE 1 END
  END
$$;
--> statement-breakpoint
-- (from 0002) Adds two sparse sketches (bucket key -> count) for the rollup upserts: merge = add counts per key.
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
-- (from 0006) A bucket key's representative value, 2 * gamma^k / (gamma + 1) (0 for the zero bucket), clamped to
-- [min, max], exactly as core's DDSketch.quantile reports it.
CREATE OR REPLACE FUNCTION ps_sketch_value(k integer, mn double precision, mx double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k IS NULL THEN NULL ELSE
    least(coalesce(mx, 'Infinity'::float8), greatest(coalesce(mn, '-Infinity'::float8),
      CASE WHEN k = -1000000 THEN 0
           ELSE 2 * power(1.01::float8 / 0.99::float8, k) / (1.01::float8 / 0.99::float8 + 1) END)) END
$$;
--> statement-breakpoint
-- (from 0006, replacing 0003's ps_sketch_quantile) p50, p95 and p99 of a sparse sketch in one pass, by
-- DDSketch's rank rule: the first bucket whose cumulative count exceeds q * (n - 1).
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
-- (from 0003, body from 0006) Keeps the percentile columns of event_rollups_agg_1m in step with the merged sketch
-- on every insert and upsert, so 1m series read them without merging. Rows without a sketch (the levels of
-- ROLLUP_LEVELS without `sketch`, i.e. the endpoint level) have none. Independent of the level.
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
-- (from 0003)
CREATE TRIGGER event_rollups_agg_1m_quantiles BEFORE INSERT OR UPDATE ON event_rollups_agg_1m
FOR EACH ROW EXECUTE FUNCTION ps_rollup_agg_quantiles();
--> statement-breakpoint
-- (from 0006, its condition now the explicit level) The endpoint level (top endpoints and top errors of a
-- summary) as an index-only scan: a sequential pass over a tenant's day of level rows costs 30 ms. A partial
-- index with INCLUDE, which drizzle-kit cannot express. Readers match it with the literal from levelIs().
CREATE INDEX IF NOT EXISTS event_rollups_agg_1m_endpoint_level ON event_rollups_agg_1m (tenant_id, minute)
  INCLUDE (source, dimension, count, errors, latency_count, latency_sum)
  WHERE level = 'endpoint';
