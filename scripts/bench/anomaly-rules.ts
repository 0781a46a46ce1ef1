/**
 * Anomaly rules in the product (packages/core/src/alerting/anomaly-rule.ts), on simulated tenants' first hours:
 *
 * 1. Quality per sensitivity: `--tenants` tenants, each with steady per-minute traffic from its first minute
 *    (error rate: `--events` events a minute at 2% errors; count: ~100 ± 15; p95: 80–100 ms), then one
 *    incident at a random minute between 30 and 55 (error rate 50%; count ×3 or ÷4; p95 ×4). Reports the share
 *    of incidents caught on their first minute and the false-alarm minutes per 1,000 steady minutes (a breach
 *    with `for: 0s`, and two consecutive breaches as with `for: 1m`).
 *    With `--start N`, the tenants first send N minutes of the same steady traffic (all counted as steady
 *    minutes), so the incident comes after the detector's coarse scale (8-minute means, live from its 20th
 *    block) is warm; `--coarse-block K` overrides its block size (0: one scale) to compare.
 * 2. Cost: milliseconds per scored minute, the persisted state's size, and the time to save and restore it.
 *
 *   tsx scripts/bench/anomaly-rules.ts [--tenants 200] [--events 20] [--start 0] [--coarse-block 8]
 */
import { parseArgs } from 'node:util';
import { AnomalyTracker } from '../../packages/core/src/alerting/anomaly-rule';
import { type AlertMetric, SENSITIVITIES } from '../../packages/core/src/alerting/rule';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '200' },
    events: { type: 'string', default: '20' },
    start: { type: 'string', default: '0' },
    'coarse-block': { type: 'string' },
  },
});
const TENANTS = Number(args.tenants);
const EVENTS = Number(args.events);
const START = Number(args.start);
const DETECTOR = args['coarse-block'] === undefined ? {} : { coarseBlock: Number(args['coarse-block']) };

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

type Kind = 'error_rate' | 'count up' | 'count down' | 'latency_p95';
const METRIC: Record<Kind, AlertMetric> = {
  error_rate: 'error_rate',
  'count up': 'count',
  'count down': 'count',
  latency_p95: 'latency_p95',
};

function value(kind: Kind, r: () => number, incident: boolean): number {
  switch (kind) {
    case 'error_rate': {
      let errors = 0;
      for (let i = 0; i < EVENTS; i++) if (r() < (incident ? 0.5 : 0.02)) errors++;
      return errors / EVENTS;
    }
    case 'count up':
      return Math.round((100 + (r() - 0.5) * 30) * (incident ? 3 : 1));
    case 'count down':
      return Math.round((100 + (r() - 0.5) * 30) / (incident ? 4 : 1));
    case 'latency_p95':
      return (80 + r() * 20) * (incident ? 4 : 1);
  }
}

console.log(
  `anomaly rules: ${TENANTS} simulated tenants per metric, from their first minute of traffic; incident after ${START} + 30–55 minutes${args['coarse-block'] === undefined ? '' : `; coarse block ${args['coarse-block']}`}`,
);
console.log('metric       sensitivity  caught  false/1k min (for 0s)  false/1k min (for 1m)');
for (const kind of ['error_rate', 'count up', 'count down', 'latency_p95'] as Kind[]) {
  for (const sensitivity of SENSITIVITIES) {
    let caught = 0;
    let steady = 0;
    let falseMinutes = 0;
    let falsePairs = 0;
    for (let tenant = 1; tenant <= TENANTS; tenant++) {
      const r = rng(tenant * 7919);
      const tracker = AnomalyTracker.create(DETECTOR);
      const incidentAt = START + 30 + Math.floor(r() * 26);
      let previous = false;
      for (let m = 0; m <= incidentAt; m++) {
        const v = tracker.observe(m, value(kind, r, m === incidentAt), true, { metric: METRIC[kind], sensitivity });
        const breaching = v?.observation.breaching ?? false;
        if (m === incidentAt) {
          if (breaching) caught++;
        } else {
          steady++;
          if (breaching) falseMinutes++;
          if (breaching && previous) falsePairs++;
        }
        previous = breaching;
      }
    }
    console.log(
      `${kind.padEnd(12)} ${sensitivity.padEnd(12)} ${((100 * caught) / TENANTS).toFixed(0).padStart(5)}%  ${((1000 * falseMinutes) / steady).toFixed(2).padStart(21)}  ${((1000 * falsePairs) / steady).toFixed(2).padStart(21)}`,
    );
  }
}

const r = rng(42);
const tracker = AnomalyTracker.create(DETECTOR);
const minutes = 3000;
const started = performance.now();
for (let m = 0; m < minutes; m++) tracker.observe(m, 100 + r() * 20, true, { metric: 'count', sensitivity: 'medium' });
const perStep = (performance.now() - started) / minutes;
const json = JSON.stringify(tracker.toJSON());
const t0 = performance.now();
for (let i = 0; i < 20; i++) AnomalyTracker.fromJSON(JSON.parse(JSON.stringify(tracker.toJSON())));
const roundTrip = (performance.now() - t0) / 20;
console.log(
  `cost: ${perStep.toFixed(2)} ms per scored minute (history full); state ${(json.length / 1024).toFixed(0)} kB of JSON; save + restore ${roundTrip.toFixed(1)} ms`,
);
