import { describe, expect, it } from 'vitest';
import { emptyWindowStats } from '../rolling-windows';
import { DynamicBaseline, WARMUP_SAMPLES, WEEK_MS } from './dynamic-baseline';
import { checkCondition, initialAlertState, stepAlert } from './evaluate';
import type { AlertMetric, Sensitivity } from './rule';

/** Deterministic normal noise (mulberry32 + Box–Muller), so a failure reproduces. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);

/**
 * Simulates a dynamic rule evaluated once a minute on `series` (the minute values) with `for` one window,
 * as the hub does: check against the baseline's band, then feed the minute to the baseline.
 */
function simulate(series: number[], metric: AlertMetric, sensitivity: Sensitivity, forMs = MIN) {
  const baseline = new DynamicBaseline(metric);
  let state = initialAlertState();
  const fired: number[] = [];
  let n = 0;
  series.forEach((value, i) => {
    const at = T0 + i * MIN;
    const obs = checkCondition(
      { metric, condition: { dynamic: { sensitivity } }, recoverBelow: null },
      { ...emptyWindowStats(), count: 100, p95: value },
      baseline.band(at, sensitivity),
    );
    const step = stepAlert(state, obs, at, forMs, () => `i${++n}`);
    for (const t of step.transitions) if (t.to === 'firing') fired.push(i);
    state = step.state;
    baseline.observe(value, at);
  });
  return { fired, baseline };
}

describe('DynamicBaseline', () => {
  it('is not ready before the warm-up, and ready after ~30 minutes', () => {
    const b = new DynamicBaseline('latency_p95');
    for (let i = 0; i < WARMUP_SAMPLES - 1; i++) b.observe(100, T0 + i * MIN);
    expect(b.band(T0 + 30 * MIN, 'medium')).toBeNull();
    b.observe(100, T0 + 29 * MIN);
    expect(b.band(T0 + 30 * MIN, 'medium')).not.toBeNull();
  });

  it('raises nothing on 24 simulated hours of pure noise, at any sensitivity', () => {
    const noise = gaussian(42);
    const series = Array.from({ length: 24 * 60 }, () => 200 + 10 * noise());
    for (const s of ['low', 'medium', 'high'] as const) {
      // high is the most sensitive band (3σ); `for` two windows keeps single-minute blips out.
      expect(simulate(series, 'latency_p95', s, s === 'high' ? 2 * MIN : MIN).fired, s).toEqual([]);
    }
  });

  it('catches a level shift within two windows', () => {
    const noise = gaussian(7);
    const series = Array.from({ length: 6 * 60 }, (_, i) => (i < 5 * 60 ? 200 : 300) + 10 * noise());
    const { fired } = simulate(series, 'latency_p95', 'medium');
    expect(fired.length).toBe(1);
    const delay = (fired[0] ?? Number.NaN) - 5 * 60;
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(2);
  });

  it('narrows with sensitivity: high catches a shift that low does not', () => {
    const noise = gaussian(11);
    const series = Array.from({ length: 4 * 60 }, (_, i) => (i < 3 * 60 ? 200 : 245) + 10 * noise());
    expect(simulate(series, 'latency_p95', 'high', 2 * MIN).fired.length).toBeGreaterThan(0);
    expect(simulate(series, 'latency_p95', 'low').fired).toEqual([]);
  });

  it('is seasonal after a week: a daily peak is normal, the same value off-peak is not', () => {
    const noise = gaussian(3);
    const b = new DynamicBaseline('count');
    const daily = (at: number) => (new Date(at).getUTCHours() === 12 ? 1000 : 100);
    const end = T0 + WEEK_MS + 24 * 3_600_000;
    for (let at = T0; at < end; at += MIN) b.observe(daily(at) + 5 * noise(), at);
    const noon = Date.UTC(2026, 0, 14, 12, 30);
    const night = Date.UTC(2026, 0, 14, 3, 30);
    const atNoon = b.band(noon, 'medium');
    expect(atNoon?.seasonal).toBe(true);
    expect(atNoon && 1000 <= atNoon.upper && 1000 >= atNoon.lower).toBe(true);
    const atNight = b.band(night, 'medium');
    expect(atNight && 1000 > atNight.upper).toBe(true);
  });

  it('round-trips through JSON', () => {
    const b = new DynamicBaseline('error_rate');
    for (let i = 0; i < 40; i++) b.observe(0.01 * (i % 3), T0 + i * MIN);
    const copy = DynamicBaseline.fromJSON(JSON.parse(JSON.stringify(b.toJSON())));
    expect(copy.band(T0 + 41 * MIN, 'low')).toEqual(b.band(T0 + 41 * MIN, 'low'));
    expect(() => DynamicBaseline.fromJSON({ v: 2 } as never)).toThrow(TypeError);
  });
});
