/**
 * Condition checks and the alert state machine, pure and clock-free (the caller passes `now`).
 *
 * States: ok → pending → firing → resolved (→ pending again on a new breach).
 * - ok/resolved → pending when the condition holds; pending → firing once it has held `for`
 *   (at once when `for` is 0); pending → ok when it stops holding first (no incident is opened).
 * - firing → resolved once the recovery condition has held `for` without interruption. The recovery
 *   condition is `value < recoverBelow` when the rule sets it (hysteresis), otherwise "the condition no longer
 *   holds". So a series that flaps around the threshold, or recovers only briefly, stays one incident.
 * - Acknowledging is a flag on a firing alert; it does not change the phase and is cleared by the next incident.
 * - One state per rule (and a rule has one filter): at most one open incident per rule and filter.
 */
import type { WindowStats } from '../rolling-windows';
import type { Band } from './dynamic-baseline';
import {
  type AlertMetric,
  type EvaluableRule,
  isAbsentCondition,
  isAnomalyCondition,
  isDynamicCondition,
} from './rule';

export type AlertPhase = 'ok' | 'pending' | 'firing' | 'resolved';

export interface AlertState {
  phase: AlertPhase;
  /** since when the condition has held (pending and firing) */
  pendingSince: number | null;
  /** while firing: since when the recovery condition has held */
  recoveringSince: number | null;
  incidentId: string | null;
  acknowledged: boolean;
  /** last evaluated value and threshold (for the live view and the exposition) */
  value: number | null;
  threshold: number | null;
}

export function initialAlertState(): AlertState {
  return {
    phase: 'ok',
    pendingSince: null,
    recoveringSince: null,
    incidentId: null,
    acknowledged: false,
    value: null,
    threshold: null,
  };
}

/** One evaluation of a rule's condition. */
export interface Observation {
  breaching: boolean;
  recovered: boolean;
  value: number | null;
  threshold: number | null;
}

export interface AlertTransition {
  from: AlertPhase;
  to: AlertPhase;
  at: number;
  value: number | null;
  threshold: number | null;
  /** the incident this transition belongs to; null for pending → ok (nothing was opened) */
  incidentId: string | null;
}

/** The rule metric's value in a window's stats; null when the window holds nothing to measure. */
export function metricValue(stats: WindowStats, metric: AlertMetric): number | null {
  switch (metric) {
    case 'count':
      return stats.count;
    case 'errors':
      return stats.errors;
    case 'error_rate':
      return stats.count > 0 ? stats.errors / stats.count : null;
    case 'events_per_sec':
      return stats.eventsPerSec;
    case 'latency_p50':
      return stats.p50;
    case 'latency_p95':
      return stats.p95;
    case 'latency_p99':
      return stats.p99;
  }
}

/**
 * Checks a rule's condition against its window. A window with nothing to measure (no events for error_rate,
 * no latencies for a percentile) is neither a breach nor a failure to recover; `absent` is the rule for silence.
 * A dynamic rule whose baseline is still warming up (`band` null) never breaches.
 */
export function checkCondition(
  rule: Pick<EvaluableRule, 'metric' | 'condition' | 'recoverBelow'>,
  stats: WindowStats,
  band: Band | null = null,
): Observation {
  const { condition } = rule;
  if (isAbsentCondition(condition)) {
    const breaching = stats.count === 0;
    return { breaching, recovered: !breaching, value: stats.count, threshold: 0 };
  }
  const value = metricValue(stats, rule.metric);
  if (isDynamicCondition(condition)) {
    if (value === null || band === null) {
      return { breaching: false, recovered: true, value, threshold: band?.upper ?? null };
    }
    const breaching = value > band.upper || value < band.lower;
    return { breaching, recovered: !breaching, value, threshold: value < band.lower ? band.lower : band.upper };
  }
  // Anomaly rules are scored per completed minute by their tracker (anomaly-rule.ts: decideAnomaly), not here.
  if (isAnomalyCondition(condition)) return { breaching: false, recovered: true, value, threshold: null };
  const { op, threshold } = condition;
  if (value === null) return { breaching: false, recovered: true, value, threshold };
  const breaching =
    op === '>'
      ? value > threshold
      : op === '>='
        ? value >= threshold
        : op === '<'
          ? value < threshold
          : value <= threshold;
  const recovered = rule.recoverBelow !== null && (op === '>' || op === '>=') ? value < rule.recoverBelow : !breaching;
  return { breaching, recovered, value, threshold };
}

/**
 * Advances one rule's state by one observation at `now`. Returns the new state (the input is not mutated) and
 * the transitions taken, in order: a firing step with `for` 0 yields ok → pending and pending → firing together.
 */
export function stepAlert(
  state: AlertState,
  obs: Observation,
  now: number,
  forMs: number,
  newIncidentId: () => string,
): { state: AlertState; transitions: AlertTransition[] } {
  const next: AlertState = { ...state, value: obs.value, threshold: obs.threshold };
  const transitions: AlertTransition[] = [];
  const move = (to: AlertPhase) => {
    transitions.push({
      from: next.phase,
      to,
      at: now,
      value: obs.value,
      threshold: obs.threshold,
      incidentId: next.incidentId,
    });
    next.phase = to;
  };

  if (next.phase === 'ok' || next.phase === 'resolved') {
    if (!obs.breaching) return { state: next, transitions };
    next.incidentId = null;
    next.acknowledged = false;
    next.pendingSince = now;
    next.recoveringSince = null;
    move('pending');
  }
  if (next.phase === 'pending') {
    if (!obs.breaching) {
      next.pendingSince = null;
      move('ok');
      return { state: next, transitions };
    }
    if (now - (next.pendingSince ?? now) >= forMs) {
      next.incidentId = newIncidentId();
      // The pending step belongs to the incident it led to.
      for (const t of transitions) t.incidentId = next.incidentId;
      move('firing');
    }
    return { state: next, transitions };
  }
  if (next.phase === 'firing') {
    if (!obs.recovered) {
      next.recoveringSince = null;
      return { state: next, transitions };
    }
    next.recoveringSince ??= now;
    if (now - next.recoveringSince >= forMs) {
      next.recoveringSince = null;
      next.pendingSince = null;
      move('resolved');
    }
  }
  return { state: next, transitions };
}

/** Sets the acknowledged flag of a firing incident; false when `incidentId` is not the open incident. */
export function acknowledgeAlert(state: AlertState, incidentId: string): { state: AlertState; changed: boolean } {
  if (state.phase !== 'firing' || state.incidentId !== incidentId || state.acknowledged) {
    return { state, changed: false };
  }
  return { state: { ...state, acknowledged: true }, changed: true };
}
