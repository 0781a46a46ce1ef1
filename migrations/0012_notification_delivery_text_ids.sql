-- Delivery ids are chosen by the producer of a notify message (alerts: UUIDs; reports:
-- "report.ready:<reportId>:<channelId>"), so they are text. Hand-ordered: the foreign key is dropped while both
-- columns change type (a text column cannot reference a uuid one), then restored as drizzle generated it in 0010.
ALTER TABLE "notification_attempts" DROP CONSTRAINT "notification_attempts_delivery_id_notification_deliveries_id_fk";--> statement-breakpoint
ALTER TABLE "notification_deliveries" ALTER COLUMN "id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "notification_attempts" ALTER COLUMN "delivery_id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ALTER COLUMN "report_id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "notification_attempts" ADD CONSTRAINT "notification_attempts_delivery_id_notification_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."notification_deliveries"("id") ON DELETE cascade ON UPDATE no action;
