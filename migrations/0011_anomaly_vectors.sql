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
CREATE INDEX "anomaly_vectors_tenant_metric_idx" ON "anomaly_vectors" USING btree ("tenant_id","metric");