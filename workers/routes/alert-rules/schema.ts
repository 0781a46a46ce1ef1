import { z } from '@hono/zod-openapi';
import {
  ALERT_METRICS,
  ALERT_WINDOWS,
  type AlertCondition,
  COMPARISON_OPS,
  formatDuration,
  parseDuration,
  ruleIssues,
  SENSITIVITIES,
  SEVERITIES,
} from '@pulsestream/core/alerting/rule';
import type { AlertRuleInput, AlertRuleRecord } from '@pulsestream/db';
import { safeText } from '../../lib/alerting';

/** Thresholds are bounded so that `1e308` or a 20-digit number is a 400, not a surprise in the evaluator. */
export const MAX_ABS_THRESHOLD = 1e12;
const bounded = z
  .number()
  .min(-MAX_ABS_THRESHOLD, `must be between -${MAX_ABS_THRESHOLD} and ${MAX_ABS_THRESHOLD}`)
  .max(MAX_ABS_THRESHOLD, `must be between -${MAX_ABS_THRESHOLD} and ${MAX_ABS_THRESHOLD}`);

export const ConditionSchema = z
  .union([
    z.strictObject({ op: z.enum(COMPARISON_OPS), threshold: bounded }),
    z.strictObject({ dynamic: z.strictObject({ sensitivity: z.enum(SENSITIVITIES) }) }),
    z.strictObject({ anomaly: z.strictObject({ sensitivity: z.enum(SENSITIVITIES) }) }),
    z.strictObject({ absent: z.literal(true) }),
  ])
  .openapi('AlertCondition', {
    description:
      '{op, threshold} (static), {dynamic:{sensitivity}} (baseline band), {absent:true} (no events in the window). ' +
      '{anomaly:{sensitivity}} (streaming anomaly detector, scored each completed minute; see docs/anomaly.md).',
  });

export const FilterSchema = z
  .strictObject({ source: safeText(1, 128).optional(), endpoint: safeText(1, 512).optional() })
  .openapi('AlertFilter');

const ruleFields = {
  name: safeText(1, 200),
  metric: z.enum(ALERT_METRICS),
  filter: FilterSchema.optional(),
  window: z.enum(ALERT_WINDOWS),
  condition: ConditionSchema,
  for: z
    .string()
    .max(16)
    .refine((v) => parseDuration(v) !== null, 'must be a duration like "30s", "2m" or "1h", at most 24h')
    .optional()
    .openapi({ example: '2m' }),
  recoverBelow: bounded.nullable().optional(),
  severity: z.enum(SEVERITIES),
  channelIds: z
    .array(z.uuid())
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, 'channel ids must not repeat'),
  enabled: z.boolean(),
};

type RuleBody = {
  condition: z.infer<typeof ConditionSchema>;
  metric: (typeof ALERT_METRICS)[number];
  recoverBelow?: number | null | undefined;
};

function checkRule(rule: RuleBody, ctx: z.RefinementCtx): void {
  for (const issue of ruleIssues({ ...rule, condition: rule.condition as AlertCondition })) {
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
  }
}

export const CreateRuleSchema = z
  .strictObject({
    ...ruleFields,
    channelIds: ruleFields.channelIds.default([]),
    enabled: ruleFields.enabled.default(true),
  })
  .superRefine(checkRule)
  .openapi('CreateAlertRule');

/** A PATCH names only what changes; the merged rule is validated as a whole (see {@link mergeRule}). */
export const PatchRuleSchema = z
  .strictObject({
    name: ruleFields.name.optional(),
    metric: ruleFields.metric.optional(),
    filter: FilterSchema.nullable().optional(),
    window: ruleFields.window.optional(),
    condition: ConditionSchema.optional(),
    for: ruleFields.for,
    recoverBelow: ruleFields.recoverBelow,
    severity: ruleFields.severity.optional(),
    channelIds: ruleFields.channelIds.optional(),
    enabled: ruleFields.enabled.optional(),
  })
  .openapi('PatchAlertRule');

export const MergedRuleSchema = z.object({ ...ruleFields }).superRefine(checkRule);

export const AlertRuleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    metric: z.enum(ALERT_METRICS),
    filter: z.object({ source: z.string().optional(), endpoint: z.string().optional() }),
    window: z.enum(ALERT_WINDOWS),
    condition: ConditionSchema,
    for: z.string(),
    recoverBelow: z.number().nullable(),
    severity: z.enum(SEVERITIES),
    channelIds: z.array(z.uuid()),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('AlertRule');

export const AlertRuleListSchema = z.object({ data: z.array(AlertRuleSchema) }).openapi('AlertRuleList');

type ParsedRule = z.infer<typeof MergedRuleSchema>;

/** The database input of a validated rule. */
export function toRuleInput(rule: ParsedRule): AlertRuleInput {
  return {
    name: rule.name,
    metric: rule.metric,
    filterSource: rule.filter?.source ?? null,
    filterEndpoint: rule.filter?.endpoint ?? null,
    window: rule.window,
    condition: rule.condition,
    forMs: parseDuration(rule.for ?? '0s') ?? 0,
    recoverBelow: rule.recoverBelow ?? null,
    severity: rule.severity,
    channelIds: rule.channelIds,
    enabled: rule.enabled,
  };
}

/** The rule as the API shows it. */
export function presentRule(r: AlertRuleRecord): z.infer<typeof AlertRuleSchema> {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric as ParsedRule['metric'],
    filter: {
      ...(r.filterSource !== null ? { source: r.filterSource } : {}),
      ...(r.filterEndpoint !== null ? { endpoint: r.filterEndpoint } : {}),
    },
    window: r.window as ParsedRule['window'],
    condition: r.condition as ParsedRule['condition'],
    for: formatDuration(r.forMs),
    recoverBelow: r.recoverBelow,
    severity: r.severity as ParsedRule['severity'],
    channelIds: r.channelIds,
    enabled: r.enabled,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** PATCH semantics: fields present replace the stored ones (`filter: null` clears it). */
export function mergeRule(current: AlertRuleRecord, patch: z.infer<typeof PatchRuleSchema>): unknown {
  const shown = presentRule(current);
  const merged: Record<string, unknown> = {
    name: shown.name,
    metric: shown.metric,
    filter: shown.filter,
    window: shown.window,
    condition: shown.condition,
    for: shown.for,
    recoverBelow: shown.recoverBelow,
    severity: shown.severity,
    channelIds: shown.channelIds,
    enabled: shown.enabled,
  };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    merged[key] = key === 'filter' && value === null ? {} : value;
  }
  return merged;
}
