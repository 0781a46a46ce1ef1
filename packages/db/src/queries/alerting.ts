import type { Explanation } from '@pulsestream/core/anomaly/explanation';
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import {
  alertRules,
  alerts,
  alertTransitions,
  channels,
  notificationAttempts,
  notificationDeliveries,
  silences,
} from '../schema';

// ------------------------------------------------------------------------------------------------ rules

/** A rule as stored (the condition already validated by the route). */
export interface AlertRuleRecord {
  id: string;
  tenantId: string;
  name: string;
  metric: string;
  filterSource: string | null;
  filterEndpoint: string | null;
  window: string;
  condition: unknown;
  forMs: number;
  recoverBelow: number | null;
  severity: string;
  channelIds: string[];
  enabled: boolean;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AlertRuleInput = Omit<AlertRuleRecord, 'id' | 'tenantId' | 'createdAt' | 'updatedAt' | 'createdBy'>;

export async function listAlertRules(db: Database, tenantId: string): Promise<AlertRuleRecord[]> {
  return db.select().from(alertRules).where(eq(alertRules.tenantId, tenantId)).orderBy(desc(alertRules.createdAt));
}

/** The rules a tenant's hub evaluates. */
export async function listEnabledAlertRules(db: Database, tenantId: string): Promise<AlertRuleRecord[]> {
  return db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.enabled, true)));
}

export async function getAlertRule(db: Database, tenantId: string, id: string): Promise<AlertRuleRecord | null> {
  const [row] = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id)));
  return row ?? null;
}

export async function createAlertRule(
  db: Database,
  tenantId: string,
  createdBy: string | null,
  input: AlertRuleInput,
): Promise<AlertRuleRecord> {
  const [row] = await db
    .insert(alertRules)
    .values({ ...input, tenantId, createdBy })
    .returning();
  if (!row) throw new Error('alert rule insert returned nothing');
  return row;
}

export async function updateAlertRule(
  db: Database,
  tenantId: string,
  id: string,
  input: AlertRuleInput,
): Promise<AlertRuleRecord | null> {
  const [row] = await db
    .update(alertRules)
    .set({ ...input, updatedAt: sql`now()` })
    .where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id)))
    .returning();
  return row ?? null;
}

export async function deleteAlertRule(db: Database, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(alertRules)
    .where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id)))
    .returning({ id: alertRules.id });
  return rows.length > 0;
}

// --------------------------------------------------------------------------------------------- channels

export interface ChannelRecord {
  id: string;
  type: string;
  name: string;
  config: unknown;
  createdAt: Date;
}

const publicChannel = {
  id: channels.id,
  type: channels.type,
  name: channels.name,
  config: channels.config,
  createdAt: channels.createdAt,
};

export async function createChannel(
  db: Database,
  input: {
    tenantId: string;
    type: string;
    name: string;
    config: unknown;
    signingSecret: string | null;
    createdBy: string | null;
  },
): Promise<ChannelRecord> {
  const [row] = await db.insert(channels).values(input).returning(publicChannel);
  if (!row) throw new Error('channel insert returned nothing');
  return row;
}

export async function listChannels(db: Database, tenantId: string): Promise<ChannelRecord[]> {
  return db
    .select(publicChannel)
    .from(channels)
    .where(eq(channels.tenantId, tenantId))
    .orderBy(desc(channels.createdAt));
}

export async function getChannel(db: Database, tenantId: string, id: string): Promise<ChannelRecord | null> {
  const [row] = await db
    .select(publicChannel)
    .from(channels)
    .where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)));
  return row ?? null;
}

/** A channel with its signing secret, for the notifications consumer only. */
export async function getChannelForDelivery(
  db: Database,
  tenantId: string,
  id: string,
): Promise<(ChannelRecord & { signingSecret: string | null }) | null> {
  const [row] = await db
    .select({ ...publicChannel, signingSecret: channels.signingSecret })
    .from(channels)
    .where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)));
  return row ?? null;
}

export async function deleteChannel(db: Database, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(channels)
    .where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)))
    .returning({ id: channels.id });
  return rows.length > 0;
}

/** Of `ids`, those that are not channels of the tenant. */
export async function missingChannelIds(db: Database, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.tenantId, tenantId), inArray(channels.id, ids)));
  const have = new Set(found.map((r) => r.id));
  return ids.filter((id) => !have.has(id));
}

// --------------------------------------------------------------------------------------------- silences

export interface SilenceRecord {
  id: string;
  ruleId: string | null;
  source: string | null;
  severity: string | null;
  startsAt: Date;
  endsAt: Date;
  comment: string;
  createdBy: string | null;
  createdAt: Date;
}

const silenceColumns = {
  id: silences.id,
  ruleId: silences.ruleId,
  source: silences.source,
  severity: silences.severity,
  startsAt: silences.startsAt,
  endsAt: silences.endsAt,
  comment: silences.comment,
  createdBy: silences.createdBy,
  createdAt: silences.createdAt,
};

export async function createSilence(
  db: Database,
  input: Omit<SilenceRecord, 'id' | 'createdAt'> & { tenantId: string },
): Promise<SilenceRecord> {
  const [row] = await db.insert(silences).values(input).returning(silenceColumns);
  if (!row) throw new Error('silence insert returned nothing');
  return row;
}

export async function listSilences(db: Database, tenantId: string): Promise<SilenceRecord[]> {
  return db
    .select(silenceColumns)
    .from(silences)
    .where(eq(silences.tenantId, tenantId))
    .orderBy(desc(silences.createdAt));
}

/** Silences that have not ended at `now` (active or scheduled), for the tenant's hub. */
export async function listCurrentSilences(db: Database, tenantId: string, now: Date): Promise<SilenceRecord[]> {
  return db
    .select(silenceColumns)
    .from(silences)
    .where(and(eq(silences.tenantId, tenantId), gt(silences.endsAt, now)));
}

export async function deleteSilence(db: Database, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(silences)
    .where(and(eq(silences.tenantId, tenantId), eq(silences.id, id)))
    .returning({ id: silences.id });
  return rows.length > 0;
}

// -------------------------------------------------------------------------------------------- incidents

/** One incident transition as the hub reports it. Writes are idempotent by `transitionId` and `alertId`. */
export interface TransitionWrite {
  transitionId: string;
  alertId: string;
  ruleId: string;
  ruleName: string;
  severity: string;
  source: string | null;
  metric: string;
  from: string;
  to: string;
  at: Date;
  value: number | null;
  threshold: number | null;
  silenced: boolean;
  /** The incident's explanation, stored with its transition to `firing`. */
  explanation?: Explanation | null;
}

/**
 * Records transitions in order, in one transaction: a transition to `firing` opens the incident (insert, or
 * nothing when a retry already did), one to `resolved` closes it; every transition is appended once.
 */
export async function recordAlertTransitions(db: Database, tenantId: string, writes: TransitionWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await db.transaction(async (tx) => {
    for (const w of writes) {
      if (w.to === 'pending' || w.to === 'firing') {
        // A hub that lost its state (storage reset) may open an incident while Postgres still has one open for the
        // rule: close that one rather than let the unique open-incident index block this outbox forever.
        await tx
          .update(alerts)
          .set({ resolvedAt: w.at })
          .where(
            and(
              eq(alerts.tenantId, tenantId),
              eq(alerts.ruleId, w.ruleId),
              isNull(alerts.resolvedAt),
              sql`${alerts.id} <> ${w.alertId}`,
            ),
          );
        await tx
          .insert(alerts)
          .values({
            id: w.alertId,
            tenantId,
            ruleId: w.ruleId,
            ruleName: w.ruleName,
            severity: w.severity,
            source: w.source,
            metric: w.metric,
            startedAt: w.at,
            value: w.value,
            threshold: w.threshold,
            silenced: w.silenced,
          })
          .onConflictDoNothing({ target: alerts.id });
      }
      if (w.to === 'firing') {
        await tx
          .update(alerts)
          .set({
            startedAt: w.at,
            value: w.value,
            threshold: w.threshold,
            silenced: w.silenced,
            ...(w.explanation ? { explanation: w.explanation } : {}),
          })
          .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, w.alertId)));
      } else if (w.to === 'resolved') {
        await tx
          .update(alerts)
          .set({ resolvedAt: w.at, value: w.value, threshold: w.threshold })
          .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, w.alertId), isNull(alerts.resolvedAt)));
      }
      await tx
        .insert(alertTransitions)
        .values({
          id: w.transitionId,
          tenantId,
          alertId: w.alertId,
          fromState: w.from,
          toState: w.to,
          at: w.at,
          value: w.value,
          threshold: w.threshold,
          silenced: w.silenced,
        })
        .onConflictDoNothing({ target: alertTransitions.id });
    }
  });
}

export interface AlertRecord {
  id: string;
  ruleId: string;
  ruleName: string;
  severity: string;
  source: string | null;
  metric: string;
  startedAt: Date;
  resolvedAt: Date | null;
  acknowledgedAt: Date | null;
  value: number | null;
  threshold: number | null;
  silenced: boolean;
  explanation: Explanation | null;
}

const alertColumns = {
  id: alerts.id,
  ruleId: alerts.ruleId,
  ruleName: alerts.ruleName,
  severity: alerts.severity,
  source: alerts.source,
  metric: alerts.metric,
  startedAt: alerts.startedAt,
  resolvedAt: alerts.resolvedAt,
  acknowledgedAt: alerts.acknowledgedAt,
  value: alerts.value,
  threshold: alerts.threshold,
  silenced: alerts.silenced,
  explanation: alerts.explanation,
};

export type AlertStateFilter = 'firing' | 'resolved' | 'acknowledged';

/**
 * A page of incidents, newest first, keyset on (started_at, id) — the order of `alerts_tenant_started_idx`.
 * `state`: firing (open, not acknowledged), acknowledged (open, acknowledged), resolved.
 */
export async function listAlerts(
  db: Database,
  tenantId: string,
  opts: {
    state?: AlertStateFilter | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
    after?: { startedAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<AlertRecord[]> {
  const stateCond =
    opts.state === 'resolved'
      ? isNotNull(alerts.resolvedAt)
      : opts.state === 'acknowledged'
        ? and(isNull(alerts.resolvedAt), isNotNull(alerts.acknowledgedAt))
        : opts.state === 'firing'
          ? and(isNull(alerts.resolvedAt), isNull(alerts.acknowledgedAt))
          : undefined;
  return db
    .select(alertColumns)
    .from(alerts)
    .where(
      and(
        eq(alerts.tenantId, tenantId),
        stateCond,
        opts.from ? sql`${alerts.startedAt} >= ${opts.from}` : undefined,
        opts.to ? lt(alerts.startedAt, opts.to) : undefined,
        opts.after
          ? or(
              lt(alerts.startedAt, opts.after.startedAt),
              and(eq(alerts.startedAt, opts.after.startedAt), lt(alerts.id, opts.after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(alerts.startedAt), desc(alerts.id))
    .limit(opts.limit);
}

export interface AlertDetail extends AlertRecord {
  transitions: {
    id: string;
    from: string;
    to: string;
    at: Date;
    value: number | null;
    threshold: number | null;
    silenced: boolean;
    actor: string | null;
  }[];
  deliveries: DeliveryRecord[];
}

export interface DeliveryRecord {
  id: string;
  channelId: string;
  event: string;
  status: string;
  attempts: {
    attempt: number;
    at: Date;
    statusCode: number | null;
    ok: boolean;
    error: string | null;
    durationMs: number;
  }[];
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function getAlert(db: Database, tenantId: string, id: string): Promise<AlertDetail | null> {
  const [row] = await db
    .select(alertColumns)
    .from(alerts)
    .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, id)));
  if (!row) return null;
  const transitions = await db
    .select({
      id: alertTransitions.id,
      from: alertTransitions.fromState,
      to: alertTransitions.toState,
      at: alertTransitions.at,
      value: alertTransitions.value,
      threshold: alertTransitions.threshold,
      silenced: alertTransitions.silenced,
      actor: alertTransitions.actor,
    })
    .from(alertTransitions)
    .where(and(eq(alertTransitions.tenantId, tenantId), eq(alertTransitions.alertId, id)))
    // Transitions of one evaluation share a timestamp; order them as the state machine took them.
    .orderBy(
      asc(alertTransitions.at),
      sql`CASE ${alertTransitions.toState} WHEN 'pending' THEN 0 WHEN 'firing' THEN 1 WHEN 'acknowledged' THEN 2 ELSE 3 END`,
    );
  const deliveries = await listDeliveries(db, tenantId, { alertId: id });
  return { ...row, transitions, deliveries };
}

/** Deliveries (with every attempt) of an alert, or of one delivery id. */
export async function listDeliveries(
  db: Database,
  tenantId: string,
  by: { alertId: string } | { deliveryId: string },
): Promise<DeliveryRecord[]> {
  const rows = await db
    .select()
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.tenantId, tenantId),
        'alertId' in by ? eq(notificationDeliveries.alertId, by.alertId) : eq(notificationDeliveries.id, by.deliveryId),
      ),
    )
    .orderBy(asc(notificationDeliveries.createdAt));
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(notificationAttempts)
    .where(
      inArray(
        notificationAttempts.deliveryId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(notificationAttempts.attempt), asc(notificationAttempts.at));
  return rows.map((r) => ({
    id: r.id,
    channelId: r.channelId,
    event: r.event,
    status: r.status,
    lastError: r.lastError,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    attempts: attempts
      .filter((a) => a.deliveryId === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: a.at,
        statusCode: a.statusCode,
        ok: a.ok,
        error: a.error,
        durationMs: a.durationMs,
      })),
  }));
}

/**
 * Acknowledges an open incident (idempotent: a second ack keeps the first time) and records the transition.
 * Returns null when the tenant has no such incident, 'resolved' when it is already closed.
 */
export async function acknowledgeAlertRecord(
  db: Database,
  tenantId: string,
  id: string,
  actor: string,
): Promise<{ alert: AlertRecord; changed: boolean } | 'resolved' | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select(alertColumns)
      .from(alerts)
      .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, id)))
      .for('update');
    if (!current) return null;
    if (current.resolvedAt) return 'resolved';
    if (current.acknowledgedAt) return { alert: current, changed: false };
    const [updated] = await tx
      .update(alerts)
      .set({ acknowledgedAt: sql`now()`, acknowledgedBy: actor })
      .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, id)))
      .returning(alertColumns);
    if (!updated) return null;
    await tx.insert(alertTransitions).values({
      id: crypto.randomUUID(),
      tenantId,
      alertId: id,
      fromState: 'firing',
      toState: 'acknowledged',
      at: updated.acknowledgedAt ?? new Date(),
      value: updated.value,
      threshold: updated.threshold,
      actor: `user:${actor}`,
    });
    return { alert: updated, changed: true };
  });
}

// ------------------------------------------------------------------------------------------- deliveries

/**
 * Makes sure a delivery row exists (idempotent by id) and returns its status and attempt count, so a
 * redelivered queue message for a delivery that already succeeded is not sent again.
 */
export async function ensureDelivery(
  db: Database,
  input: {
    id: string;
    tenantId: string;
    channelId: string;
    alertId: string | null;
    reportId: string | null;
    event: string;
  },
): Promise<{ status: string; attempts: number; lastError: string | null; deadLetterPending: boolean }> {
  await db
    .insert(notificationDeliveries)
    .values({ ...input, status: 'pending' })
    .onConflictDoNothing({ target: notificationDeliveries.id });
  const [row] = await db
    .select({
      status: notificationDeliveries.status,
      attempts: notificationDeliveries.attempts,
      lastError: notificationDeliveries.lastError,
      deadLetterPending: notificationDeliveries.deadLetterPending,
    })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, input.id));
  if (!row) throw new Error('delivery row missing after insert');
  return row;
}

/**
 * Appends one attempt and moves the delivery to `status`, in one transaction. A `dead` delivery owes its dead
 * letter from here until {@link markDeadLetterSent}.
 */
export async function recordDeliveryAttempt(
  db: Database,
  input: {
    deliveryId: string;
    statusCode: number | null;
    ok: boolean;
    error: string | null;
    durationMs: number;
    status: 'pending' | 'succeeded' | 'failed' | 'dead';
  },
): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(notificationDeliveries)
      .set({
        attempts: sql`${notificationDeliveries.attempts} + 1`,
        status: input.status,
        lastError: input.error,
        deadLetterPending: input.status === 'dead',
        updatedAt: sql`now()`,
      })
      .where(eq(notificationDeliveries.id, input.deliveryId))
      .returning({ attempts: notificationDeliveries.attempts });
    if (!row) throw new Error('delivery row missing');
    await tx.insert(notificationAttempts).values({
      deliveryId: input.deliveryId,
      attempt: row.attempts,
      statusCode: input.statusCode,
      ok: input.ok,
      error: input.error?.slice(0, 1000) ?? null,
      durationMs: Math.max(0, Math.round(input.durationMs)),
    });
    return row.attempts;
  });
}

/**
 * Reopens a dead delivery for one more attempt (its dead letter was redriven); its attempts are kept. Only a
 * delivery whose letter went out: one still owing its letter was not redriven.
 */
export async function reopenDelivery(db: Database, deliveryId: string): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({ status: 'pending', updatedAt: sql`now()` })
    .where(
      and(
        eq(notificationDeliveries.id, deliveryId),
        eq(notificationDeliveries.status, 'dead'),
        eq(notificationDeliveries.deadLetterPending, false),
      ),
    );
}

/** Records that a dead delivery's dead letter was handed to the dead-letter queue. */
export async function markDeadLetterSent(db: Database, deliveryId: string): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({ deadLetterPending: false, updatedAt: sql`now()` })
    .where(and(eq(notificationDeliveries.id, deliveryId), eq(notificationDeliveries.status, 'dead')));
}

/** Marks a delivery dead without a new attempt (exhausted, or its channel is gone). */
export async function markDeliveryDead(db: Database, deliveryId: string, reason: string): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({ status: 'dead', lastError: reason.slice(0, 1000), updatedAt: sql`now()` })
    .where(eq(notificationDeliveries.id, deliveryId));
}
