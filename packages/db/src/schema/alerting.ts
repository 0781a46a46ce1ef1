import type { Explanation } from '@pulsestream/core/anomaly/explanation';
import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns';
import { tenants } from './tenants';

/**
 * Alert rules. `condition` is the validated condition object (`{op, threshold}`, `{dynamic}`, `{absent}`), kept
 * as JSON because its shape depends on its kind; every other field the evaluator needs is a column.
 */
export const alertRules = pgTable(
  'alert_rules',
  {
    id: idColumn(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    metric: text('metric').notNull(),
    filterSource: text('filter_source'),
    filterEndpoint: text('filter_endpoint'),
    window: text('window').notNull(),
    condition: jsonb('condition').notNull(),
    forMs: integer('for_ms').notNull(),
    recoverBelow: doublePrecision('recover_below'),
    severity: text('severity').notNull(),
    channelIds: uuid('channel_ids').array().notNull(),
    enabled: boolean('enabled').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('alert_rules_tenant_idx').on(t.tenantId, t.createdAt)],
);

/**
 * Incidents. The id is chosen by the tenant's hub when the rule fires, so a retried write is idempotent; the rule's
 * name, severity and source are copied so history reads the same after the rule is edited or deleted. At most one
 * open incident per rule (the hub deduplicates; the partial unique index makes it a fact).
 */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id').notNull(),
    ruleName: text('rule_name').notNull(),
    severity: text('severity').notNull(),
    source: text('source'),
    metric: text('metric').notNull(),
    startedAt: tstz('started_at').notNull(),
    resolvedAt: tstz('resolved_at'),
    acknowledgedAt: tstz('acknowledged_at'),
    acknowledgedBy: uuid('acknowledged_by'),
    value: doublePrecision('value'),
    threshold: doublePrecision('threshold'),
    silenced: boolean('silenced').notNull().default(false),
    /**
     * Why it fired, from aggregates only (summary, likely cause, evidence; written by the model or the
     * deterministic template), set when the incident opens; null for incidents recorded before explanations.
     */
    explanation: jsonb('explanation').$type<Explanation>(),
  },
  (t) => [
    index('alerts_tenant_started_idx').on(t.tenantId, t.startedAt, t.id),
    uniqueIndex('alerts_one_open_per_rule').on(t.tenantId, t.ruleId).where(sql`resolved_at IS NULL`),
  ],
);

/** Every transition of an incident, with the value and threshold seen at that moment. */
export const alertTransitions = pgTable(
  'alert_transitions',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    at: tstz('at').notNull(),
    value: doublePrecision('value'),
    threshold: doublePrecision('threshold'),
    /** a silence matched: recorded, not notified */
    silenced: boolean('silenced').notNull().default(false),
    actor: text('actor'),
  },
  (t) => [index('alert_transitions_alert_idx').on(t.alertId, t.at)],
);

/**
 * Notification channels. `signingSecret` (webhook only) is kept so deliveries can be signed; it is returned once,
 * at creation, and never listed. (Plain column: see docs/api.md "Alerting" on encrypting it at rest.)
 */
export const channels = pgTable(
  'channels',
  {
    id: idColumn(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    name: text('name').notNull(),
    config: jsonb('config').notNull(),
    signingSecret: text('signing_secret'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('channels_tenant_idx').on(t.tenantId, t.createdAt)],
);

/** Silences: while active they stop notifications of matching alerts (all set matchers must match). */
export const silences = pgTable(
  'silences',
  {
    id: idColumn(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id'),
    source: text('source'),
    severity: text('severity'),
    startsAt: tstz('starts_at').notNull(),
    endsAt: tstz('ends_at').notNull(),
    comment: text('comment').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('silences_tenant_idx').on(t.tenantId, t.endsAt)],
);

/**
 * One notification to one channel. The id is the queue message's `deliveryId` and the webhook's `webhook-id`.
 * Not tied to an alert: report notifications carry a `reportId` instead.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    /** text, not uuid: producers choose the id (alerts use UUIDs, reports `report.ready:<report>:<channel>`). */
    id: text('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    channelId: uuid('channel_id').notNull(),
    alertId: uuid('alert_id'),
    reportId: text('report_id'),
    event: text('event').notNull(),
    /** pending | succeeded | failed (final refusal) | dead (attempts exhausted) */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /**
     * True from the attempt that made the delivery `dead` until its dead letter is handed to the dead-letter
     * queue: a queue retry of the message that killed it then only sends the letter, while a dead delivery
     * whose letter went out can only come back through a redrive (one more attempt).
     */
    deadLetterPending: boolean('dead_letter_pending').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('notification_deliveries_alert_idx').on(t.alertId),
    index('notification_deliveries_tenant_idx').on(t.tenantId, t.createdAt),
  ],
);

/** Every delivery attempt: when, the status code or the error, how long it took. */
export const notificationAttempts = pgTable(
  'notification_attempts',
  {
    id: idColumn(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    at: tstz('at').notNull().defaultNow(),
    statusCode: integer('status_code'),
    ok: boolean('ok').notNull(),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('notification_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type ChannelRow = typeof channels.$inferSelect;
export type SilenceRow = typeof silences.$inferSelect;
