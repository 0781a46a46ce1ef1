import { z } from '@hono/zod-openapi';
import type { AlertDetail, AlertRecord } from '@pulsestream/db';

export const AlertStateSchema = z.enum(['firing', 'resolved', 'acknowledged']);

export const ExplanationSchema = z
  .object({
    summary: z.string(),
    likelyCause: z.string(),
    evidence: z.array(z.string()),
    source: z.enum(['model', 'template']).openapi({
      description: 'model: written by the configured OpenAI model; template: the deterministic fallback',
    }),
  })
  .openapi('AlertExplanation', {
    description:
      'Why the incident fired, built from aggregates only (the metric against its baseline, top contributing ' +
      'sources and endpoints, similar past incidents); never from raw event properties.',
  });

export const AlertSchema = z
  .object({
    id: z.uuid(),
    ruleId: z.uuid(),
    ruleName: z.string(),
    severity: z.string(),
    source: z.string().nullable(),
    metric: z.string(),
    state: AlertStateSchema,
    startedAt: z.string(),
    resolvedAt: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    silenced: z.boolean().openapi({ description: 'A silence matched when it fired: recorded, not notified' }),
    explanation: ExplanationSchema.nullable(),
  })
  .openapi('Alert');

const AttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  statusCode: z.number().int().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: 'Also the webhook-id header of every attempt' }),
    channelId: z.uuid(),
    event: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed', 'dead']),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attempts: z.array(AttemptSchema),
  })
  .openapi('NotificationDelivery');

export const AlertDetailSchema = AlertSchema.extend({
  transitions: z.array(
    z.object({
      id: z.uuid(),
      from: z.string(),
      to: z.string(),
      at: z.string(),
      value: z.number().nullable(),
      threshold: z.number().nullable(),
      silenced: z.boolean(),
      actor: z.string().nullable(),
    }),
  ),
  deliveries: z.array(DeliverySchema),
}).openapi('AlertDetail');

export const AlertPageSchema = z
  .object({ data: z.array(AlertSchema), nextCursor: z.string().nullable() })
  .openapi('AlertPage');

export function presentAlert(a: AlertRecord): z.infer<typeof AlertSchema> {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    severity: a.severity,
    source: a.source,
    metric: a.metric,
    state: a.resolvedAt ? 'resolved' : a.acknowledgedAt ? 'acknowledged' : 'firing',
    startedAt: a.startedAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
    acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
    value: a.value,
    threshold: a.threshold,
    silenced: a.silenced,
    explanation: a.explanation
      ? {
          summary: a.explanation.summary,
          likelyCause: a.explanation.likelyCause,
          evidence: a.explanation.evidence,
          source: a.explanation.source,
        }
      : null,
  };
}

export function presentDeliveries(deliveries: AlertDetail['deliveries']): z.infer<typeof DeliverySchema>[] {
  return deliveries.map((d) => ({
    id: d.id,
    channelId: d.channelId,
    event: d.event,
    status: d.status as 'pending' | 'succeeded' | 'failed' | 'dead',
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    attempts: d.attempts.map((a) => ({ ...a, at: a.at.toISOString() })),
  }));
}

export function presentAlertDetail(a: AlertDetail): z.infer<typeof AlertDetailSchema> {
  return {
    ...presentAlert(a),
    transitions: a.transitions.map((t) => ({ ...t, at: t.at.toISOString() })),
    deliveries: presentDeliveries(a.deliveries),
  };
}
