/**
 * Alert rules as the evaluator sees them: metric, filter, window, condition, `for`, hysteresis. Wire and
 * storage shapes are validated at the edge (zod in the route schema); the semantic checks that need more than
 * a type (durations, which side of the threshold `recoverBelow` is on) live here so every caller agrees.
 */
import type { WindowName } from '../rolling-windows';

export const ALERT_METRICS = [
  'count',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'events_per_sec',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const ALERT_WINDOWS = ['1m', '5m', '15m', '1h'] as const satisfies readonly WindowName[];
export type AlertWindow = (typeof ALERT_WINDOWS)[number];

export const COMPARISON_OPS = ['>', '>=', '<', '<='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const SENSITIVITIES = ['low', 'medium', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertCondition =
  | { op: ComparisonOp; threshold: number }
  | { dynamic: { sensitivity: Sensitivity } }
  | { anomaly: { sensitivity: Sensitivity } }
  | { absent: true };

export interface AlertFilter {
  source?: string;
  endpoint?: string;
}

/** What the evaluator needs of a rule. */
export interface EvaluableRule {
  id: string;
  metric: AlertMetric;
  filter: AlertFilter;
  window: AlertWindow;
  condition: AlertCondition;
  /** ms the condition (and later the recovery) must hold */
  forMs: number;
  recoverBelow: number | null;
  severity: Severity;
}

/** Longest `for` accepted: a day. */
export const MAX_FOR_MS = 24 * 3_600_000;

const DURATION = /^(\d{1,5})(s|m|h)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `"90s"`, `"2m"`, `"1h"` to ms; null when malformed or above {@link MAX_FOR_MS}. `"0s"` is 0. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_FOR_MS ? ms : null;
}

/** The canonical text of a duration in ms (largest whole unit). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

export function isStaticCondition(c: AlertCondition): c is { op: ComparisonOp; threshold: number } {
  return 'op' in c;
}
export function isDynamicCondition(c: AlertCondition): c is { dynamic: { sensitivity: Sensitivity } } {
  return 'dynamic' in c;
}
/** A streaming-detector condition, scored once per completed minute (see anomaly-rule.ts). */
export function isAnomalyCondition(c: AlertCondition): c is { anomaly: { sensitivity: Sensitivity } } {
  return 'anomaly' in c;
}
export function isAbsentCondition(c: AlertCondition): c is { absent: true } {
  return 'absent' in c;
}

export interface RuleIssue {
  path: string;
  message: string;
}

/**
 * Semantic checks beyond the wire types: `recoverBelow` only on `>`/`>=` rules and strictly below the threshold
 * (hysteresis means recovering requires a lower value than firing did); `absent` only with the `count` metric.
 */
export function ruleIssues(rule: {
  metric: AlertMetric;
  condition: AlertCondition;
  recoverBelow?: number | null | undefined;
}): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const { condition, recoverBelow } = rule;
  if (isAbsentCondition(condition) && rule.metric !== 'count') {
    issues.push({ path: 'metric', message: 'An absent condition watches the event count: use metric "count".' });
  }
  if (recoverBelow !== undefined && recoverBelow !== null) {
    if (!isStaticCondition(condition)) {
      issues.push({ path: 'recoverBelow', message: 'recoverBelow applies only to static ">" or ">=" conditions.' });
    } else if (condition.op === '<' || condition.op === '<=') {
      issues.push({
        path: 'recoverBelow',
        message: `recoverBelow applies only to ">" or ">=" conditions, not "${condition.op}".`,
      });
    } else if (!(recoverBelow < condition.threshold)) {
      issues.push({
        path: 'recoverBelow',
        message: `recoverBelow (${recoverBelow}) must be below the threshold (${condition.threshold}).`,
      });
    }
  }
  return issues;
}

/**
 * A key over everything that decides when the rule fires: an edit that keeps it equal (name, severity,
 * channels) keeps the rule's state; one that changes it starts the state afresh.
 */
export function conditionKey(
  rule: Pick<EvaluableRule, 'metric' | 'filter' | 'window' | 'condition' | 'forMs' | 'recoverBelow'>,
): string {
  return JSON.stringify([
    rule.metric,
    rule.filter.source ?? null,
    rule.filter.endpoint ?? null,
    rule.window,
    rule.condition,
    rule.forMs,
    rule.recoverBelow,
  ]);
}

/** Key of a filter, for grouping rules that watch the same slice of traffic. */
export function filterKey(filter: AlertFilter): string {
  return JSON.stringify([filter.source ?? null, filter.endpoint ?? null]);
}
