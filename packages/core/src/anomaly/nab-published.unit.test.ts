import { describe, expect, it } from 'vitest';
import published from './nab-published.fixture.json';
import { layoutSeries, NAB_PROFILES, type NabProfileName, scoreAtThreshold } from './nab-scorer';

/**
 * NAB's own published per-file scores (numenta/NAB results/<detector>/<detector>_<profile>_scores.csv, MIT
 * licence) for the 41 shared series, reduced by scripts/bench/nab-validate.ts to what scoring needs: each
 * file's row count, its windows as row ranges, the published threshold and the rows whose published anomaly
 * score reaches it. The full check against the raw result files is `tsx scripts/bench/nab-validate.ts`.
 */
interface Published {
  file: string;
  rows: number;
  windows: [number, number][];
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  detections: number[];
}
const fixture = published as unknown as Record<string, Record<string, Published[]>>;

describe('NAB scorer against NAB’s published per-file scores', () => {
  for (const [detector, profiles] of Object.entries(fixture)) {
    for (const [profile, files] of Object.entries(profiles)) {
      it(`reproduces ${detector} / ${profile} on all ${files.length} shared files`, () => {
        expect(files.length).toBe(41);
        for (const f of files) {
          const layout = layoutSeries({
            name: f.file,
            timestamps: Array.from({ length: f.rows }, (_, i) => i),
            windows: f.windows,
          });
          const scores = new Float64Array(f.rows);
          for (const i of f.detections) scores[i] = 1;
          const ours = scoreAtThreshold(layout, scores, 1, NAB_PROFILES[profile as NabProfileName]);
          expect({ file: f.file, score: ours.score, tp: ours.tp, tn: ours.tn, fp: ours.fp, fn: ours.fn }).toEqual({
            file: f.file,
            score: expect.closeTo(f.score, 9),
            tp: f.tp,
            tn: f.tn,
            fp: f.fp,
            fn: f.fn,
          });
        }
      });
    }
  }
});
