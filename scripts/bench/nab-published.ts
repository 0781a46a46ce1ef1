/**
 * Normalised NAB scores of detectors whose raw outputs NAB publishes (`results/<detector>/<category>/<detector>_<file>`),
 * computed by packages/core's scorer on any corpus in NAB's layout, so that our detector's `npm run bench:nab` figures
 * on the same corpus have the leaders beside them (threshold optimised per corpus, as NAB does).
 *
 *   tsx scripts/bench/nab-published.ts --results <NAB checkout>/results [--nab ROOT] [--categories a,b]
 *     [--detectors ARTime,numenta,contextOSE]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { layoutSeries, NAB_PROFILE_NAMES, scoreCorpus } from '@pulsestream/core/anomaly/nab-scorer';
import { defaultNabRoot, loadNabCorpus, readCsvColumns } from '../lib/nab-corpus';

const { values: args } = parseArgs({
  options: {
    results: { type: 'string' },
    nab: { type: 'string', default: defaultNabRoot() },
    categories: { type: 'string' },
    detectors: { type: 'string', default: 'ARTime,numenta,contextOSE' },
  },
});
if (!args.results) throw new Error('--results DIR (NAB checkout results/) is required');
const resultsDir = args.results;

const corpus = loadNabCorpus(args.nab, args.categories?.split(','));
const layouts = corpus.map((s) => layoutSeries(s));
console.log(`NAB corpus ${args.nab}${args.categories ? ` (${args.categories})` : ''}: ${corpus.length} series`);
console.log(`\n${'detector'.padEnd(18)}${NAB_PROFILE_NAMES.map((p) => p.padStart(20)).join('')}`);
for (const detector of args.detectors.split(',')) {
  const scores = corpus.map((series) => {
    const [category, file] = series.name.split('/') as [string, string];
    const path = join(resultsDir, detector, category, `${detector}_${file}`);
    return (readCsvColumns(path).get('anomaly_score') ?? []).map(Number);
  });
  const byProfile = scoreCorpus(layouts, scores);
  const cells = NAB_PROFILE_NAMES.map((p) => (byProfile.get(p)?.normalised ?? Number.NaN).toFixed(2).padStart(20));
  console.log(`${detector.padEnd(18)}${cells.join('')}`);
}
