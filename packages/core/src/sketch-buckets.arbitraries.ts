// fast-check arbitraries for the latency-histogram bucket mapping: values at and around the edges of DDSketch
// buckets (gamma^k and the doubles a few ulps either side) from just above the zero threshold to near the
// largest double, the zero threshold itself, zero, negatives and values spread over the whole double range.
import fc from 'fast-check';
import { logMapping, MIN_INDEXABLE_VALUE } from './ddsketch';
import { SKETCH_RELATIVE_ACCURACY } from './sketch-buckets';

const MAPPING = logMapping(SKETCH_RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(MAPPING.gamma);

/** Lowest and highest bucket keys of indexable finite values (1e-9 … Number.MAX_VALUE). */
export const MIN_KEY = Math.ceil(Math.log(MIN_INDEXABLE_VALUE) / LN_GAMMA);
export const MAX_KEY = Math.floor(Math.log(Number.MAX_VALUE) / LN_GAMMA);

const view = new DataView(new ArrayBuffer(8));

/** The double `steps` ulps away from a finite positive `x` (negative steps go down). */
export function ulpStep(x: number, steps: number): number {
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + BigInt(steps));
  return view.getFloat64(0);
}

/** gamma^k three ways that round differently: the exact boundary, the power, and exp of the log. */
const EDGE_WAYS = [
  (k: number) => MAPPING.edge(k),
  (k: number) => MAPPING.gamma ** k,
  (k: number) => Math.exp(k * LN_GAMMA),
];

/**
 * A bucket edge (gamma^k, one of {@link EDGE_WAYS}) moved up to 3 ulps either way, so both sides of every
 * boundary and the boundary itself come up.
 */
export const bucketEdge = fc
  .record({
    k: fc.integer({ min: MIN_KEY, max: MAX_KEY }),
    way: fc.integer({ min: 0, max: EDGE_WAYS.length - 1 }),
    steps: fc.integer({ min: -3, max: 3 }),
  })
  .map(({ k, way, steps }) => ulpStep((EDGE_WAYS[way] ?? MAPPING.edge)(k), steps))
  .filter((v) => Number.isFinite(v) && v > 0);

/** Values the SQL and TypeScript keys must agree on: edges, the zero threshold, zero, negatives, anything. */
export const sketchValue = fc.oneof(
  { arbitrary: bucketEdge, weight: 6 },
  {
    arbitrary: fc.integer({ min: -3, max: 3 }).map((steps) => ulpStep(MIN_INDEXABLE_VALUE, steps)),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(0, -0, -1, -1e-300, -1e308, Number.MIN_VALUE, Number.MAX_VALUE, 1, 1e308), weight: 1 },
  { arbitrary: fc.double({ min: -1e308, max: Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true }), weight: 2 },
);
