import { describe, expect, it } from 'vitest';
import type { SeriesCell } from '../timeseries-fill';
import {
  ANOMALY_DETECTOR_OPTIONS,
  ANOMALY_MIN_BASELINE,
  ANOMALY_RECENT_MINUTES,
  ANOMALY_SENSITIVITY,
  AnomalyTracker,
  baselineOf,
  decideAnomaly,
  requiredDeviation,
  rollupMinutePoints,
} from './anomaly-rule';
import { SENSITIVITIES } from './rule';

/** A deterministic pseudo-random sequence (LCG), so simulated traffic is the same on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Error rate of `n` events a minute with errors at probability `p`. */
function errorRate(r: () => number, n: number, p: number): number {
  let errors = 0;
  for (let i = 0; i < n; i++) if (r() < p) errors++;
  return errors / n;
}

describe('sensitivity mapping', () => {
  it('is monotone: higher sensitivity needs a lower score and a smaller change', () => {
    const [low, medium, high] = SENSITIVITIES.map((s) => ANOMALY_SENSITIVITY[s]);
    expect(low?.minScore).toBeGreaterThan(medium?.minScore ?? 1);
    expect(medium?.minScore).toBeGreaterThan(high?.minScore ?? 1);
    const base = baselineOf([200, 210, 190, 200, 220, 200, 190, 210]);
    const need = SENSITIVITIES.map((s) => requiredDeviation('latency_p95', base, s));
    expect(need[0]).toBeGreaterThan(need[1] as number);
    expect(need[1]).toBeGreaterThan(need[2] as number);
  });

  it('warms up in well under an hour of minutes', () => {
    expect(ANOMALY_DETECTOR_OPTIONS.warmup).toBeLessThanOrEqual(30);
    expect(ANOMALY_MIN_BASELINE).toBeLessThanOrEqual(ANOMALY_DETECTOR_OPTIONS.warmup ?? 0);
  });
});

describe('decideAnomaly', () => {
  const baseline = baselineOf(Array.from({ length: 30 }, (_, i) => 0.02 + (i % 3) * 0.01));
  const decide = (value: number | null, score: number, metric: 'error_rate' | 'count' = 'error_rate', size = 30) =>
    decideAnomaly({ metric, sensitivity: 'medium', value, score, baseline, baselineSize: size });

  it('breaches only when the score is rare AND the change matters', () => {
    expect(decide(0.5, 0.9).breaching).toBe(true);
    expect(decide(0.5, 0.2).breaching).toBe(false); // large change, not rare for this series
    expect(decide(0.06, 1).breaching).toBe(false); // rare, but 4 points is below the error-rate floor
  });

  it('never breaches on a baseline too short, or with nothing to measure', () => {
    expect(decide(0.5, 1, 'error_rate', ANOMALY_MIN_BASELINE - 1).breaching).toBe(false);
    expect(decide(null, 1).breaching).toBe(false);
  });

  it('error rates fire upwards only; counts both ways', () => {
    const countBase = baselineOf(Array.from({ length: 30 }, (_, i) => 100 + (i % 5)));
    const count = (v: number) =>
      decideAnomaly({
        metric: 'count',
        sensitivity: 'medium',
        value: v,
        score: 1,
        baseline: countBase,
        baselineSize: 30,
      });
    expect(count(10).breaching).toBe(true);
    expect(count(10).threshold).toBeLessThan(countBase.median);
    expect(count(300).breaching).toBe(true);
    const zeroErrors = baselineOf(Array.from({ length: 30 }, () => 0.4));
    expect(
      decideAnomaly({
        metric: 'error_rate',
        sensitivity: 'high',
        value: 0,
        score: 1,
        baseline: zeroErrors,
        baselineSize: 30,
      }).breaching,
    ).toBe(false);
  });

  it('recovers only once the value is back within half the margin', () => {
    const need = requiredDeviation('error_rate', baseline, 'medium');
    expect(decide(baseline.median + need * 0.75, 0.9).recovered).toBe(false);
    expect(decide(baseline.median + need * 0.25, 0.9).recovered).toBe(true);
  });
});

describe('AnomalyTracker', () => {
  const rule = { metric: 'error_rate' as const, sensitivity: 'medium' as const };

  it('stays quiet on steady low-volume traffic and catches an error burst within the first hour', () => {
    let falseAlarms = 0;
    let caught = 0;
    const seeds = 30;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = rng(seed * 7919);
      const tracker = AnomalyTracker.create();
      const burstAt = 30 + (seed % 25); // between minute 30 and 54 of the tenant's traffic
      for (let m = 0; m <= burstAt; m++) {
        const value = m === burstAt ? 0.5 : errorRate(r, 20, 0.02);
        const v = tracker.observe(m, value, true, rule);
        if (!v) throw new Error('every minute is scored');
        if (m < burstAt && v.observation.breaching) falseAlarms++;
        if (m === burstAt && v.observation.breaching) caught++;
      }
    }
    expect(caught).toBe(seeds);
    // Under 0.5% of ~1,300 steady minutes (20 events a minute is as noisy as traffic gets).
    expect(falseAlarms).toBeLessThanOrEqual(6);
  });

  it('does not score before its warm-up', () => {
    const tracker = AnomalyTracker.create();
    const warmup = ANOMALY_DETECTOR_OPTIONS.warmup ?? 0;
    for (let m = 0; m < warmup; m++) {
      const v = tracker.observe(m, m === warmup - 1 ? 50 : 1, true, { metric: 'count', sensitivity: 'high' });
      expect(v?.score, `minute ${m}`).toBe(0);
      expect(v?.observation.breaching).toBe(false);
    }
  });

  it('skips leading empty minutes and minutes already scored; keeps a bounded baseline', () => {
    const tracker = AnomalyTracker.create();
    expect(tracker.observe(5, 0, false, { metric: 'count', sensitivity: 'low' })).toBeNull();
    expect(tracker.toJSON().started).toBe(false);
    expect(tracker.observe(6, 10, true, { metric: 'count', sensitivity: 'low' })).not.toBeNull();
    expect(tracker.observe(6, 10, true, { metric: 'count', sensitivity: 'low' })).toBeNull();
    expect(tracker.observe(3, 10, true, { metric: 'count', sensitivity: 'low' })).toBeNull();
    for (let m = 7; m < 200; m++) tracker.observe(m, m, true, { metric: 'count', sensitivity: 'low' });
    expect(tracker.recent).toHaveLength(ANOMALY_RECENT_MINUTES);
    expect(tracker.lastMinute).toBe(199);
  });

  it('keeps a bounded state however long it runs', () => {
    const r = rng(11);
    const tracker = AnomalyTracker.create();
    for (let m = 0; m < 1600; m++) tracker.observe(m, 100 + r() * 20, true, { metric: 'count', sensitivity: 'low' });
    const size = JSON.stringify(tracker.toJSON()).length;
    for (let m = 1600; m < 2000; m++) tracker.observe(m, 100 + r() * 20, true, { metric: 'count', sensitivity: 'low' });
    const later = JSON.stringify(tracker.toJSON()).length;
    expect(size).toBeLessThan(250_000);
    // Past a day of minutes (the history and calibration size) it no longer grows.
    expect(Math.abs(later - size)).toBeLessThan(size * 0.05);
  }, 30_000);

  it('continues exactly after a JSON round trip', () => {
    const r = rng(3);
    const a = AnomalyTracker.create();
    for (let m = 0; m < 40; m++) a.observe(m, errorRate(r, 50, 0.05), true, rule);
    const b = AnomalyTracker.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    for (let m = 40; m < 60; m++) {
      const v = errorRate(r, 50, 0.05);
      expect(b.observe(m, v, true, rule)).toEqual(a.observe(m, v, true, rule));
    }
    expect(() => AnomalyTracker.fromJSON({ ...a.toJSON(), v: 2 } as never)).toThrow(RangeError);
  });
});

describe('rollupMinutePoints', () => {
  const cell = (minute: number, count: number, errors: number, p95: number | null = null): SeriesCell => ({
    t: minute * 60_000,
    group: '',
    count,
    errors,
    latencyCount: count,
    latencySum: count * 10,
    latencyMin: null,
    latencyMax: null,
    quantileKey: null,
    quantileValue: p95,
  });

  it('sums counts and errors over the window ending at each minute; a rate is null with no events', () => {
    const cells = [cell(100, 10, 1), cell(101, 30, 3), cell(103, 20, 10)];
    const rate = rollupMinutePoints({ metric: 'error_rate', windowMinutes: 1, cells, fromMinute: 100, toMinute: 103 });
    expect(rate.map((p) => p.value)).toEqual([0.1, 0.1, null, 0.5]);
    expect(rate.map((p) => p.hadEvents)).toEqual([true, true, false, true]);
    const count5 = rollupMinutePoints({ metric: 'count', windowMinutes: 5, cells, fromMinute: 101, toMinute: 103 });
    expect(count5.map((p) => p.value)).toEqual([40, 40, 60]);
    const eps = rollupMinutePoints({
      metric: 'events_per_sec',
      windowMinutes: 1,
      cells,
      fromMinute: 101,
      toMinute: 101,
    });
    expect(eps[0]?.value).toBe(0.5);
  });

  it('averages the minutes’ percentiles for latency rules', () => {
    const cells = [cell(1, 5, 0), cell(2, 5, 0)];
    const latencyCells = [cell(1, 5, 0, 100), cell(2, 5, 0, 300)];
    const p = rollupMinutePoints({
      metric: 'latency_p95',
      windowMinutes: 5,
      cells,
      latencyCells,
      fromMinute: 2,
      toMinute: 3,
    });
    expect(p.map((x) => x.value)).toEqual([200, 200]);
  });
});
