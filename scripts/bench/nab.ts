/**
 * NAB benchmark: runs the streaming detector and two baselines (NAB's windowed Gaussian, a constant 0.5)
 * over a corpus in NAB's layout and prints each one's normalised score on the three profiles, with the
 * streaming detector's throughput.
 *
 *   npm run bench:nab -- [--nab ROOT] [--categories a,b] [--out DIR] [--options '{"quietPeriod":300}'] [--details]
 *
 * ROOT defaults to ../shared/nab next to the repository. --categories keeps only those data folders (e.g.
 * `realTweets,realTraffic`, NAB's held-out series, from a NAB checkout). --out writes DIR/<category>/<file>.csv with header
 * timestamp,value,anomaly_score (one row per input row, in order) so that NAB's own scorer can score the
 * detector. --options overrides detector options (for exploring; the defaults are the benchmarked
 * configuration). --details prints the standard-profile score of each file at the chosen threshold.
 */
import { parseArgs } from 'node:util';
import { WindowedGaussianDetector } from '@pulsestream/core/anomaly/baselines';
import { type DetectorOptions, StreamingDetector } from '@pulsestream/core/anomaly/detector';
import { layoutSeries, NAB_PROFILE_NAMES, type ProfileResult, scoreCorpus } from '@pulsestream/core/anomaly/nab-scorer';
import { defaultNabRoot, loadNabCorpus, type NabSeries, writeNabResults } from '../lib/nab-corpus';

/** Scores every series with the streaming detector; returns the scores and the points per second. */
export function runStreamingDetector(
  corpus: readonly NabSeries[],
  options?: Partial<DetectorOptions>,
): { scores: Float64Array[]; pointsPerSecond: number } {
  const started = performance.now();
  let points = 0;
  const scores = corpus.map((series) => {
    const detector = new StreamingDetector(options);
    const out = new Float64Array(series.values.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = detector.step(series.timestamps[i] as number, series.values[i] as number).score;
    }
    points += out.length;
    return out;
  });
  const seconds = (performance.now() - started) / 1000;
  return { scores, pointsPerSecond: points / seconds };
}

/** Runs the benchmark; returns the printed results by detector and profile. */
export function runNabBench(argv: string[]): Map<string, Map<string, ProfileResult>> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      nab: { type: 'string', default: defaultNabRoot() },
      categories: { type: 'string' },
      out: { type: 'string' },
      options: { type: 'string' },
      details: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const log = args.quiet ? () => {} : console.log;
  const corpus = loadNabCorpus(args.nab, args.categories?.split(','));
  const layouts = corpus.map((s) => layoutSeries(s));
  const options = args.options ? (JSON.parse(args.options) as Partial<DetectorOptions>) : undefined;
  const rows = corpus.reduce((n, s) => n + s.values.length, 0);
  const windows = layouts.reduce((n, l) => n + l.windowCount, 0);
  log(`NAB corpus ${args.nab}: ${corpus.length} series, ${rows} points, ${windows} windows`);

  const { scores, pointsPerSecond } = runStreamingDetector(corpus, options);
  if (args.out) {
    for (const [i, series] of corpus.entries()) writeNabResults(args.out, series, scores[i] as Float64Array);
  }

  const gaussian = corpus.map((series) => {
    const d = new WindowedGaussianDetector();
    // NAB wrote its results with 12 significant digits (Python 2 str), which ties scores within 1e-12 of 1;
    // rounding the same way makes this baseline score as NAB's published one does on these files.
    return Float64Array.from(series.values, (v) => Number(d.step(v).toPrecision(12)));
  });
  const constant = corpus.map((series) => new Float64Array(series.values.length).fill(0.5));

  const results = new Map<string, Map<string, ProfileResult>>([
    ['pulsestream', scoreCorpus(layouts, scores)],
    ['windowedGaussian', scoreCorpus(layouts, gaussian)],
    ['constant0.5', scoreCorpus(layouts, constant)],
  ]);
  log(`\n${'detector'.padEnd(18)}${NAB_PROFILE_NAMES.map((p) => p.padStart(20)).join('')}`);
  for (const [name, byProfile] of results) {
    const cells = NAB_PROFILE_NAMES.map((p) => {
      const r = byProfile.get(p);
      return `${r?.normalised.toFixed(2)} @${r?.threshold.toFixed(3)}`.padStart(20);
    });
    log(`${name.padEnd(18)}${cells.join('')}`);
  }
  log(`\nthroughput: ${Math.round(pointsPerSecond).toLocaleString('en')} points/s (streaming detector, one core)`);
  if (args.details) {
    for (const f of results.get('pulsestream')?.get('standard')?.perFile ?? []) {
      const l = layouts.find((x) => x.name === f.name);
      log(
        `${f.score.score.toFixed(3).padStart(8)} windows ${l?.windowCount} tp ${f.score.tp} fp ${f.score.fp}  ${f.name}`,
      );
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) runNabBench(process.argv.slice(2));
