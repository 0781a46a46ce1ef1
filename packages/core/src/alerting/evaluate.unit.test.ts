import { describe, expect, it } from 'vitest';
import { emptyWindowStats, type WindowStats } from '../rolling-windows';
import {
  type AlertState,
  acknowledgeAlert,
  checkCondition,
  initialAlertState,
  type Observation,
  stepAlert,
} from './evaluate';
import { conditionKey, parseDuration, ruleIssues } from './rule';

const stats = (over: Partial<WindowStats>): WindowStats => ({ ...emptyWindowStats(), ...over });
const breach: Observation = { breaching: true, recovered: false, value: 0.5, threshold: 0.2 };
const calm: Observation = { breaching: false, recovered: true, value: 0.01, threshold: 0.2 };
const between: Observation = { breaching: false, recovered: false, value: 0.15, threshold: 0.2 };
let ids = 0;
const newId = () => `inc-${++ids}`;

function run(state: AlertState, obs: Observation, at: number, forMs = 60_000) {
  return stepAlert(state, obs, at, forMs, newId);
}

describe('rule validation', () => {
  it('parses durations and refuses malformed or too long ones', () => {
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('25h')).toBeNull();
    expect(parseDuration('2 m')).toBeNull();
    expect(parseDuration('1d')).toBeNull();
    expect(parseDuration('-1m')).toBeNull();
  });

  it('refuses recoverBelow on the wrong side, on < rules, and on non-static rules', () => {
    const gt = { metric: 'error_rate' as const, condition: { op: '>' as const, threshold: 0.2 } };
    expect(ruleIssues({ ...gt, recoverBelow: 0.1 })).toEqual([]);
    expect(ruleIssues({ ...gt, recoverBelow: 0.3 })[0]?.path).toBe('recoverBelow');
    expect(ruleIssues({ ...gt, recoverBelow: 0.2 })[0]?.message).toMatch(/below the threshold/);
    expect(ruleIssues({ metric: 'count', condition: { op: '<', threshold: 5 }, recoverBelow: 1 })).toHaveLength(1);
    expect(
      ruleIssues({ metric: 'count', condition: { dynamic: { sensitivity: 'low' } }, recoverBelow: 1 }),
    ).toHaveLength(1);
    expect(ruleIssues({ metric: 'error_rate', condition: { absent: true } })[0]?.path).toBe('metric');
  });

  it('keys state by what decides firing, not by name or channels', () => {
    const base = {
      metric: 'error_rate' as const,
      filter: { source: 'stripe' },
      window: '1m' as const,
      condition: { op: '>' as const, threshold: 0.2 },
      forMs: 60_000,
      recoverBelow: null,
    };
    expect(conditionKey(base)).toBe(conditionKey({ ...base }));
    expect(conditionKey(base)).not.toBe(conditionKey({ ...base, forMs: 120_000 }));
    expect(conditionKey(base)).not.toBe(conditionKey({ ...base, filter: { source: 'twilio' } }));
  });
});

describe('checkCondition', () => {
  const rule = { metric: 'error_rate' as const, condition: { op: '>' as const, threshold: 0.2 }, recoverBelow: null };
  it('compares the metric with each operator', () => {
    expect(checkCondition(rule, stats({ count: 10, errors: 5 })).breaching).toBe(true);
    expect(checkCondition(rule, stats({ count: 10, errors: 2 })).breaching).toBe(false);
    expect(
      checkCondition({ ...rule, condition: { op: '>=', threshold: 0.2 } }, stats({ count: 10, errors: 2 })).breaching,
    ).toBe(true);
    expect(
      checkCondition({ ...rule, condition: { op: '<', threshold: 0.2 } }, stats({ count: 10, errors: 1 })).breaching,
    ).toBe(true);
    expect(
      checkCondition({ ...rule, condition: { op: '<=', threshold: 0.1 } }, stats({ count: 10, errors: 2 })).breaching,
    ).toBe(false);
  });
  it('uses recoverBelow for recovery (hysteresis)', () => {
    const hyst = { ...rule, recoverBelow: 0.1 };
    const mid = checkCondition(hyst, stats({ count: 100, errors: 15 }));
    expect(mid).toMatchObject({ breaching: false, recovered: false, value: 0.15 });
    expect(checkCondition(hyst, stats({ count: 100, errors: 5 })).recovered).toBe(true);
  });
  it('treats an empty window as neither breach nor stuck, and absent as a breach on zero events', () => {
    expect(checkCondition(rule, stats({}))).toMatchObject({ breaching: false, recovered: true, value: null });
    const absent = { metric: 'count' as const, condition: { absent: true as const }, recoverBelow: null };
    expect(checkCondition(absent, stats({}))).toMatchObject({ breaching: true, value: 0 });
    expect(checkCondition(absent, stats({ count: 1 }))).toMatchObject({ breaching: false, recovered: true });
  });
  it('does not breach a dynamic rule while its baseline warms up', () => {
    const dyn = {
      metric: 'latency_p95' as const,
      condition: { dynamic: { sensitivity: 'medium' as const } },
      recoverBelow: null,
    };
    expect(checkCondition(dyn, stats({ count: 5, p95: 1e6 }), null).breaching).toBe(false);
    const band = { lower: Number.NEGATIVE_INFINITY, upper: 120, center: 100, spread: 4, seasonal: false };
    expect(checkCondition(dyn, stats({ count: 5, p95: 121 }), band)).toMatchObject({ breaching: true, threshold: 120 });
    expect(checkCondition(dyn, stats({ count: 5, p95: 119 }), band).breaching).toBe(false);
  });
});

describe('stepAlert', () => {
  it('ok → pending, and pending → ok when the breach ends before `for`', () => {
    const a = run(initialAlertState(), breach, 0);
    expect(a.state.phase).toBe('pending');
    expect(a.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['ok>pending']);
    const b = run(a.state, calm, 30_000);
    expect(b.state.phase).toBe('ok');
    expect(b.transitions[0]).toMatchObject({ from: 'pending', to: 'ok', incidentId: null });
  });

  it('pending → firing only once the condition has held `for`, with a new incident', () => {
    const a = run(initialAlertState(), breach, 0);
    const b = run(a.state, breach, 59_999);
    expect(b.state.phase).toBe('pending');
    expect(b.transitions).toEqual([]);
    const c = run(b.state, breach, 60_000);
    expect(c.state.phase).toBe('firing');
    expect(c.state.incidentId).toMatch(/^inc-/);
    expect(c.transitions).toEqual([
      expect.objectContaining({
        from: 'pending',
        to: 'firing',
        value: 0.5,
        threshold: 0.2,
        incidentId: c.state.incidentId,
      }),
    ]);
    // Still breaching: no new transition, same incident (dedupe).
    const d = run(c.state, breach, 120_000);
    expect(d.transitions).toEqual([]);
    expect(d.state.incidentId).toBe(c.state.incidentId);
  });

  it('fires at once with `for` 0, recording the pending step under the incident', () => {
    const a = stepAlert(initialAlertState(), breach, 5, 0, newId);
    expect(a.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['ok>pending', 'pending>firing']);
    expect(a.transitions[0]?.incidentId).toBe(a.state.incidentId);
  });

  it('firing → resolved only after recovery has held `for`; an interruption restarts the clock', () => {
    let s = run(run(initialAlertState(), breach, 0).state, breach, 60_000).state;
    expect(s.phase).toBe('firing');
    const incident = s.incidentId;
    s = run(s, calm, 70_000).state;
    expect(s.phase).toBe('firing');
    s = run(s, breach, 100_000).state; // relapse: clock restarts
    s = run(s, calm, 110_000).state;
    let r = run(s, calm, 169_999);
    expect(r.state.phase).toBe('firing');
    r = run(r.state, calm, 170_000);
    expect(r.state.phase).toBe('resolved');
    expect(r.transitions).toEqual([expect.objectContaining({ from: 'firing', to: 'resolved', incidentId: incident })]);
  });

  it('with hysteresis, a value between recoverBelow and the threshold keeps it firing', () => {
    let s = run(run(initialAlertState(), breach, 0).state, breach, 60_000).state;
    for (let t = 70_000; t < 600_000; t += 10_000) {
      const step = run(s, between, t);
      expect(step.transitions).toEqual([]);
      s = step.state;
    }
    expect(s.phase).toBe('firing');
  });

  it('resolved → pending on a new breach, and a new incident after `for`', () => {
    let s = run(run(initialAlertState(), breach, 0).state, breach, 60_000).state;
    const first = s.incidentId;
    s = run(run(s, calm, 70_000).state, calm, 130_000).state;
    expect(s.phase).toBe('resolved');
    const p = run(s, breach, 140_000);
    expect(p.state.phase).toBe('pending');
    const f = run(p.state, breach, 200_000);
    expect(f.state.phase).toBe('firing');
    expect(f.state.incidentId).not.toBe(first);
  });

  it('acknowledges only the open firing incident, and a new incident clears the flag', () => {
    let s = run(run(initialAlertState(), breach, 0).state, breach, 60_000).state;
    expect(acknowledgeAlert(s, 'other').changed).toBe(false);
    const acked = acknowledgeAlert(s, s.incidentId ?? '');
    expect(acked.changed).toBe(true);
    expect(acked.state.acknowledged).toBe(true);
    expect(acked.state.phase).toBe('firing');
    expect(acknowledgeAlert(acked.state, s.incidentId ?? '').changed).toBe(false);
    s = run(run(acked.state, calm, 70_000).state, calm, 130_000).state;
    s = run(run(s, breach, 140_000).state, breach, 200_000).state;
    expect(s.acknowledged).toBe(false);
  });

  it('flapping around the threshold with recoverBelow yields one incident', () => {
    let s = initialAlertState();
    const incidents = new Set<string>();
    for (let t = 0; t < 30 * 60_000; t += 10_000) {
      // 0.25 and 0.18 alternate every 30 s: above the 0.2 threshold, never below recoverBelow 0.1.
      const v = Math.floor(t / 30_000) % 2 === 0 ? 0.25 : 0.18;
      const obs = checkCondition(
        { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, recoverBelow: 0.1 },
        stats({ count: 100, errors: Math.round(v * 100) }),
      );
      // Without hysteresis, the 30 s dips would never let `for` hold; use for = 20 s so it fires.
      const step = stepAlert(s, obs, t, 20_000, newId);
      for (const tr of step.transitions) if (tr.to === 'firing' && tr.incidentId) incidents.add(tr.incidentId);
      s = step.state;
    }
    expect(incidents.size).toBe(1);
    expect(s.phase).toBe('firing');
  });
});
