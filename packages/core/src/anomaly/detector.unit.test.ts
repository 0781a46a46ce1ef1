import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_OPTIONS, StreamingDetector } from './detector';

/** Deterministic pseudo-random noise (mulberry32), so the tests do not depend on Math.random. */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** A daily-ish cycle with noise, 5-minute points. */
function steadySeries(n: number, seed = 1): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * r());
}

const T0 = Date.UTC(2026, 0, 1);
const STEP = 300_000;

function run(values: number[], d = new StreamingDetector()) {
  return values.map((v, i) => d.step(T0 + i * STEP, v));
}

describe('StreamingDetector', () => {
  it('scores in [0, 1] with the value, pattern, shift, season and suppressed components', () => {
    const scores = run(steadySeries(1500));
    for (const s of scores) {
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(s.components.map((c) => c.name)).toEqual(['value', 'pattern', 'shift', 'season', 'suppressed']);
      for (const c of s.components) expect(c.value).toBeGreaterThanOrEqual(0);
    }
    // Nothing above zero during warm-up.
    expect(scores.slice(0, DEFAULT_DETECTOR_OPTIONS.warmup).every((s) => s.score === 0)).toBe(true);
  });

  it('gives a spike in a steady series a far higher score than any point of the steady part', () => {
    const values = steadySeries(2000);
    values[1800] = 160;
    const scores = run(values);
    const steadyMax = Math.max(...scores.slice(300, 1800).map((s) => s.score));
    const spike = scores[1800];
    expect(spike?.score).toBeGreaterThan(0.9);
    expect(steadyMax).toBeLessThan(0.6);
    // The value measure explains it: the spike is the most unusual value since the history covered a cycle.
    const valueMeasure = (score: (typeof scores)[number] | undefined) =>
      score?.components.find((c) => c.name === 'value')?.value ?? 0;
    expect(valueMeasure(spike)).toBeGreaterThan(0.5);
    for (const [i, s] of scores.entries())
      if (i >= 1000 && i !== 1800) expect(valueMeasure(s)).toBeLessThan(valueMeasure(spike));
  });

  it('is causal: appending points never changes the scores already given', () => {
    // Long enough for the season to be found (from 864 points) and used before the cut.
    const values = steadySeries(2400, 7);
    const prefix = run(values.slice(0, 1800)).map((s) => s.score);
    values[1900] = 500;
    const full = run(values).map((s) => s.score);
    expect(full.slice(0, 1800)).toEqual(prefix);
  });

  it('keeps bounded state however long the series', () => {
    const options = { historySize: 200, calibrationSize: 300, patternMemory: 100, patternLength: 4 };
    const d = new StreamingDetector(options);
    run(steadySeries(5000), d);
    const size = JSON.stringify(d.toJSON()).length;
    run(steadySeries(5000, 3), d);
    const state = d.toJSON();
    expect(state.history.length).toBe(200);
    expect(state.patterns.length).toBe(400);
    // value, pattern and shift calibrations are full; the seasonal one never exceeds its bound (this short
    // history cannot hold three daily seasons, so no season is found and it stays empty).
    for (const c of state.calibration.slice(0, 3)) expect(c.length).toBe(300);
    for (const c of state.calibration) expect(c.length).toBeLessThanOrEqual(300);
    expect(JSON.stringify(state).length).toBeLessThan(size * 1.2);
  });

  it('continues exactly where it stopped after toJSON / fromJSON through a JSON string', () => {
    const values = steadySeries(1600, 11);
    values[1500] = 40;
    const straight = run(values).map((s) => s.score);
    const first = new StreamingDetector();
    run(values.slice(0, 700), first);
    const restored = StreamingDetector.fromJSON(JSON.parse(JSON.stringify(first.toJSON())));
    const rest = values.slice(700).map((v, i) => restored.step(T0 + (700 + i) * STEP, v).score);
    expect(rest).toEqual(straight.slice(700));
    expect(Math.max(...rest)).toBeGreaterThan(0.5);
  });

  it('raises one alarm for a sustained level shift, not a train of them', () => {
    const values = steadySeries(2500, 5).map((v, i) => (i >= 2000 ? v + 60 : v));
    const scores = run(values).map((s) => s.score);
    const alarms = scores.slice(2000, 2300).filter((s) => s >= DEFAULT_DETECTOR_OPTIONS.alarmLevel);
    expect(scores[2000]).toBeGreaterThan(0.9);
    expect(alarms.length).toBe(1);
  });

  it('finds the season and flags a stretch that is out of phase although every value is in range', () => {
    const values = steadySeries(3000, 13);
    // 40 points copied from half a day earlier: each value is ordinary, the timing is not.
    for (let i = 2600; i < 2640; i++) values[i] = values[i - 144] as number;
    const d = new StreamingDetector();
    const scores = run(values, d);
    expect(d.toJSON().period).toBeGreaterThanOrEqual(274);
    expect(d.toJSON().period).toBeLessThanOrEqual(302);
    const season = (i: number) => scores[i]?.components.find((c) => c.name === 'season')?.value ?? 0;
    const before = Math.max(...scores.slice(1500, 2600).map((_, k) => season(1500 + k)));
    const during = Math.max(...scores.slice(2600, 2640).map((_, k) => season(2600 + k)));
    expect(during).toBeGreaterThan(0.5);
    expect(during).toBeGreaterThan(before + 0.2);
  });

  it('is deterministic and refuses a state of another version', () => {
    const values = steadySeries(1200, 17);
    expect(run(values).map((s) => s.score)).toEqual(run(values).map((s) => s.score));
    const state = { ...new StreamingDetector().toJSON(), version: 1 } as unknown as Parameters<
      typeof StreamingDetector.fromJSON
    >[0];
    expect(() => StreamingDetector.fromJSON(state)).toThrow(/unknown detector state version 1/);
  });

  it('ignores non-finite values and refuses invalid options', () => {
    const d = new StreamingDetector();
    expect(d.step(T0, Number.NaN).score).toBe(0);
    expect(d.toJSON().history).toEqual([]);
    expect(() => new StreamingDetector({ historySize: 0 })).toThrow(RangeError);
    expect(() => new StreamingDetector({ scoreDecades: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new StreamingDetector({ patternLength: 2.5 })).toThrow(RangeError);
    expect(() => new StreamingDetector({ seasonLength: 1.5 })).toThrow(RangeError);
    expect(() => new StreamingDetector({ seasonEvery: 0 })).toThrow(RangeError);
  });
});
