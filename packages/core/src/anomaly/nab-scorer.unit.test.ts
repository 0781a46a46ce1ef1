import { describe, expect, it } from 'vitest';
import {
  layoutSeries,
  NAB_PROFILES,
  optimiseThreshold,
  probationLength,
  type SeriesLayout,
  scaledSigmoid,
  scoreAtThreshold,
  scoreCorpus,
  sweepThresholds,
} from './nab-scorer';

const standard = NAB_PROFILES.standard;
const sigma = (x: number) => 2 / (1 + Math.exp(5 * x)) - 1;

/** A series of `rows` rows at timestamps 0..rows−1 with windows given as row ranges. */
function series(rows: number, windows: [number, number][] = [], name = 's'): SeriesLayout {
  return layoutSeries({
    name,
    timestamps: Array.from({ length: rows }, (_, i) => i * 1000),
    windows: windows.map(([a, b]) => [a * 1000, b * 1000]),
  });
}

/** Scores that are 1 at the given rows and 0 elsewhere. */
function firing(rows: number, at: number[]): Float64Array {
  const s = new Float64Array(rows);
  for (const i of at) s[i] = 1;
  return s;
}

describe('scaledSigmoid', () => {
  it('is ~0.987 at a window’s left edge, 0 at its right edge, and −1 beyond three widths after it', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBeCloseTo(sigma(3), 12);
    expect(scaledSigmoid(3.0001)).toBe(-1);
  });
});

describe('probation', () => {
  it('is 15% of the rows, at most 750', () => {
    expect(probationLength(100)).toBe(15);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(22695)).toBe(750);
  });

  it('ignores detections in the probation period', () => {
    const layout = series(100, [[40, 49]]);
    // A detection at row 14 (inside probation) costs nothing; at row 15 it is a false positive before any window.
    expect(scoreAtThreshold(layout, firing(100, [14]), 0.5, standard).score).toBeCloseTo(-1, 12);
    expect(scoreAtThreshold(layout, firing(100, [15]), 0.5, standard).score).toBeCloseTo(-1 - 0.11, 12);
  });

  it('does not count a window that lies wholly inside probation, neither as hit nor miss', () => {
    const layout = series(100, [[2, 6]]);
    expect(layout.scorableWindows).toBe(0);
    expect(layout.windowCount).toBe(1);
    expect(scoreAtThreshold(layout, firing(100, []), 0.5, standard).score).toBe(0);
    expect(scoreAtThreshold(layout, firing(100, [3]), 0.5, standard).score).toBe(0);
  });
});

describe('detections in a window', () => {
  const layout = series(100, [[40, 49]]);

  it('are worth A_TP·σ(p)/σ(−1) with p = −(right − i + 1)/width, and only the earliest counts', () => {
    const early = scoreAtThreshold(layout, firing(100, [42, 47]), 0.5, standard);
    expect(early.score).toBeCloseTo(sigma(-0.8) / sigma(-1), 12);
    expect(early.tp).toBe(2);
    const late = scoreAtThreshold(layout, firing(100, [47]), 0.5, standard);
    expect(late.score).toBeCloseTo(sigma(-0.3) / sigma(-1), 12);
    expect(early.score).toBeGreaterThan(late.score);
    // At the left edge a detection earns the full A_TP.
    expect(scoreAtThreshold(layout, firing(100, [40]), 0.5, standard).score).toBeCloseTo(1, 12);
  });

  it('cost A_FN when missed (2 in the reward-low-FN profile)', () => {
    expect(scoreAtThreshold(layout, firing(100, []), 0.5, standard)).toMatchObject({ score: -1, fn: 10, tp: 0 });
    expect(scoreAtThreshold(layout, firing(100, []), 0.5, NAB_PROFILES.reward_low_FN_rate).score).toBe(-2);
  });
});

describe('false positives', () => {
  const layout = series(200, [[40, 49]]);

  it('cost A_FP·σ(q) after a window, q = |i − right|/(width − 1), more the later they come', () => {
    const near = scoreAtThreshold(layout, firing(200, [40, 52]), 0.5, standard);
    expect(near.score).toBeCloseTo(1 + 0.11 * sigma(3 / 9), 12);
    const later = scoreAtThreshold(layout, firing(200, [40, 60]), 0.5, standard);
    expect(later.score).toBeCloseTo(1 + 0.11 * sigma(11 / 9), 12);
    expect(later.score).toBeLessThan(near.score);
    // More than three widths after the window the cost is the full A_FP.
    expect(scoreAtThreshold(layout, firing(200, [40, 77]), 0.5, standard).score).toBeCloseTo(1 - 0.11, 12);
    // The low-FP profile doubles the weight.
    const lowFp = scoreAtThreshold(layout, firing(200, [40, 60]), 0.5, NAB_PROFILES.reward_low_FP_rate);
    expect(lowFp.score).toBeCloseTo(1 + 0.22 * sigma(11 / 9), 12);
  });

  it('cost the full A_FP before any window, each one', () => {
    const s = scoreAtThreshold(layout, firing(200, [30, 31, 40]), 0.5, standard);
    expect(s.score).toBeCloseTo(1 - 0.22, 12);
    expect(s.fp).toBe(2);
  });
});

describe('threshold sweep and corpus normalisation', () => {
  const a = series(100, [[40, 49]], 'a');
  const b = series(100, [[60, 69]], 'b');

  it('lists the never-firing score first and then one entry per distinct score, highest first', () => {
    const scores = new Float64Array(100).fill(0.1);
    scores[45] = 0.9;
    scores[80] = 0.7;
    const sweep = sweepThresholds([a], [scores], standard);
    expect(sweep.map((s) => s.threshold)).toEqual([1.1, 0.9, 0.7, 0.1]);
    expect(sweep[0]?.score).toBe(-1);
    expect(sweep[1]?.score).toBeCloseTo(sigma(-0.5) / sigma(-1), 12);
    // Row 80 is 31/9 > 3 widths after the window: the full A_FP.
    expect(sweep[2]?.score).toBeCloseTo(sigma(-0.5) / sigma(-1) - 0.11, 12);
  });

  it('chooses the threshold that maximises the corpus score over all files', () => {
    // File a: a true detection at 0.6; file b: a false alarm at 0.8 and a true one at 0.5.
    const sa = new Float64Array(100);
    sa[41] = 0.6;
    const sb = new Float64Array(100);
    sb[20] = 0.8;
    sb[61] = 0.5;
    const best = optimiseThreshold([a, b], [sa, sb], standard);
    expect(best.threshold).toBe(0.5);
    expect(best.score).toBeCloseTo((2 * sigma(-0.9)) / sigma(-1) - 0.11, 12);
  });

  it('gives 0 to the null detector (constant 0.5) and 100 to the perfect one', () => {
    const layouts = [a, b, series(100, [], 'c')];
    const constant = layouts.map(() => new Float64Array(100).fill(0.5));
    const perfect = [firing(100, [40]), firing(100, [60]), firing(100, [])];
    for (const [, r] of scoreCorpus(layouts, constant)) expect(r.normalised).toBe(0);
    for (const [, r] of scoreCorpus(layouts, perfect)) expect(r.normalised).toBeCloseTo(100, 10);
    const standardResult = scoreCorpus(layouts, perfect).get('standard');
    expect(standardResult?.perFile.map((f) => f.score.score)).toEqual([1, 1, 0]);
  });

  it('refuses windows whose limits are not row timestamps', () => {
    expect(() => layoutSeries({ name: 'x', timestamps: [0, 10, 20], windows: [[5, 20]] })).toThrow(/does not match/);
  });
});
