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
  it('scores in [0, 1] with the value, pattern, shift, season components at both scales, and suppressed', () => {
    const scores = run(steadySeries(1500));
    for (const s of scores) {
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(s.components.map((c) => c.name)).toEqual([
        'value',
        'pattern',
        'shift',
        'season',
        'coarse value',
        'coarse pattern',
        'coarse shift',
        'coarse season',
        'suppressed',
      ]);
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

  it('finds nothing new in the value of a spike of the same height as one already seen (context novelty)', () => {
    // A short calibration, so that the first spike has left it when the next ones come.
    const options = { calibrationSize: 300 };
    const spikes = [800, 1200, 1600, 2000];
    const values = steadySeries(2200, 19);
    for (const i of spikes) values[i] = 160;
    values[2150] = 220; // a higher spike is new
    const valueMeasure = (s: ReturnType<StreamingDetector['step']> | undefined) =>
      s?.components.find((c) => c.name === 'value')?.value ?? 0;
    const scores = run(values, new StreamingDetector(options));
    expect(valueMeasure(scores[800])).toBeGreaterThan(0.9);
    for (const i of spikes.slice(1)) expect(valueMeasure(scores[i])).toBe(0);
    expect(valueMeasure(scores[2150])).toBeGreaterThan(0.9);
    expect(scores[2150]?.score).toBeGreaterThan(0.9);
    // With the recurrence check off, the value measure of every spike is extreme (the test can fail).
    const off = run(values, new StreamingDetector({ ...options, recurrenceMemory: 0 }));
    for (const i of spikes) expect(valueMeasure(off[i])).toBeGreaterThan(0.9);
    // The memory of excursions is bounded.
    const d = new StreamingDetector({ recurrenceMemory: 3 });
    const many = steadySeries(3000, 23);
    for (let i = 400; i < 3000; i += 150) many[i] = 160 + i / 10;
    run(many, d);
    expect(d.toJSON().excursions.length).toBe(3);
    expect(d.toJSON().shiftExcursions.length).toBeLessThanOrEqual(3);
  });

  it('finds less in a level shift that repeats one already seen (context novelty of the shift measure)', () => {
    const r = noise(31);
    const values = Array.from({ length: 2000 }, () => 100 + 2 * r());
    for (const start of [800, 1200, 1600])
      for (let i = start; i < start + 30; i++) values[i] = (values[i] as number) + 30;
    const shiftMax = (scores: ReturnType<typeof run>, start: number) =>
      Math.max(...scores.slice(start, start + 40).map((s) => s.components.find((c) => c.name === 'shift')?.value ?? 0));
    const options = { calibrationSize: 300 };
    const on = run(values, new StreamingDetector(options));
    const off = run(values, new StreamingDetector({ ...options, recurrenceMemory: 0 }));
    expect(shiftMax(on, 800)).toBeGreaterThan(0.9);
    expect(shiftMax(off, 1600)).toBeGreaterThan(0.9);
    expect(shiftMax(on, 1600)).toBeLessThan(0.7);
  });

  it('reads a version 2 state (no remembered excursions, recurrence check off)', () => {
    const values = steadySeries(900, 29);
    const d = new StreamingDetector({ recurrenceMemory: 0, coarseBlock: 0 });
    run(values.slice(0, 600), d);
    const { excursions: _excursions, coarse: _coarse, ...rest } = d.toJSON();
    const options: Record<string, number> = { ...rest.options };
    delete options.recurrenceMemory;
    delete options.recurrenceTolerance;
    delete options.coarseBlock;
    const v2 = { ...rest, options, version: 2 } as unknown as Parameters<typeof StreamingDetector.fromJSON>[0];
    const restored = StreamingDetector.fromJSON(JSON.parse(JSON.stringify(v2)));
    expect(restored.toJSON().options.recurrenceMemory).toBe(0);
    const a = values.slice(600).map((v, i) => restored.step(T0 + (600 + i) * STEP, v).score);
    const b = values.slice(600).map((v, i) => d.step(T0 + (600 + i) * STEP, v).score);
    expect(a).toEqual(b);
  });

  it('lets the pattern measure speak only when the level has also moved (pattern gate)', () => {
    const values = steadySeries(2000, 5);
    // A zigzag within the usual range: a shape never seen, but no value far from the median, no shift.
    for (let k = 0; k < 8; k++) values[1500 + k] = (values[1500 + k] as number) + (k % 2 === 0 ? 8 : -8);
    const patternMax = (options: Record<string, number>) => {
      const scores = run(values, new StreamingDetector(options));
      return Math.max(
        ...scores.slice(1500, 1509).map((s) => s.components.find((c) => c.name === 'pattern')?.value ?? 0),
      );
    };
    expect(patternMax({ patternGateValue: 0, patternGateShift: 0 })).toBeGreaterThan(0.5);
    expect(patternMax({})).toBe(0);
  });

  it('reads a version 3 state (no pattern gate) and continues exactly as it would have', () => {
    const values = steadySeries(900, 31);
    const d = new StreamingDetector({ patternGateValue: 0, patternGateShift: 0, coarseBlock: 0 });
    run(values.slice(0, 600), d);
    const { coarse: _coarse, ...rest } = d.toJSON();
    const options: Record<string, number> = { ...rest.options };
    delete options.patternGateValue;
    delete options.patternGateShift;
    delete options.coarseBlock;
    const v3 = { ...rest, options, version: 3 } as unknown as Parameters<typeof StreamingDetector.fromJSON>[0];
    const restored = StreamingDetector.fromJSON(JSON.parse(JSON.stringify(v3)));
    expect(restored.toJSON().options.patternGateShift).toBe(0);
    expect(restored.toJSON().version).toBe(5);
    const a = values.slice(600).map((v, i) => restored.step(T0 + (600 + i) * STEP, v).score);
    const b = values.slice(600).map((v, i) => d.step(T0 + (600 + i) * STEP, v).score);
    expect(a).toEqual(b);
  });

  it('reads a version 4 state (one scale) and continues exactly as it would have, with the coarse scale off', () => {
    const values = steadySeries(900, 37);
    const d = new StreamingDetector({ coarseBlock: 0 });
    run(values.slice(0, 600), d);
    const { coarse: _coarse, ...rest } = d.toJSON();
    const options: Record<string, number> = { ...rest.options };
    delete options.coarseBlock;
    const v4 = { ...rest, options, version: 4 } as unknown as Parameters<typeof StreamingDetector.fromJSON>[0];
    const restored = StreamingDetector.fromJSON(JSON.parse(JSON.stringify(v4)));
    expect(restored.toJSON().options.coarseBlock).toBe(0);
    expect(restored.toJSON().coarse).toBeNull();
    const a = values.slice(600).map((v, i) => restored.step(T0 + (600 + i) * STEP, v).score);
    const b = values.slice(600).map((v, i) => d.step(T0 + (600 + i) * STEP, v).score);
    expect(a).toEqual(b);
  });

  it('refuses a state whose coarse scale does not fit its options', () => {
    const state = new StreamingDetector().toJSON();
    expect(() => StreamingDetector.fromJSON({ ...state, coarse: null })).toThrow(/coarse scale/);
  });

  it('sees at the coarse scale a day whose level dropped, which no point shows on its own', () => {
    // A daily cycle of 48 points with noise, and one day 3.5 lower (a quiet holiday): every point of it is
    // within the usual range and the cycle hides it from the fine shift, but the means of 8 points over a day
    // average the cycle out and move by several of their own sd.
    const r = noise(42);
    const day = 2400;
    const values = Array.from(
      { length: 3000 },
      (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 48) + 8 * r() - (i >= day && i < day + 48 ? 3.5 : 0),
    );
    const max = (scores: ReturnType<typeof run>, from: number, to: number, name?: string) =>
      Math.max(
        ...scores
          .slice(from, to)
          .map((s) => (name ? (s.components.find((c) => c.name === name)?.value ?? 0) : s.score)),
      );
    const oneScale = run(values, new StreamingDetector({ coarseBlock: 0 }));
    const twoScales = run(values);
    expect(max(oneScale, day, day + 60)).toBeLessThan(0.45);
    expect(max(twoScales, day, day + 60, 'coarse shift')).toBeGreaterThan(0.9);
    expect(max(twoScales, day, day + 60)).toBeGreaterThan(0.6);
    // Nothing new in the steady days before it.
    expect(max(twoScales, 1000, day)).toBeLessThan(0.4);
  });
});
