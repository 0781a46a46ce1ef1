/**
 * Fixed-length embeddings of a tenant metric series over a window (for example the last 60 minutes of
 * per-minute error rate, p95 latency and volume), for the vector memory: similar past windows are found by
 * cosine similarity, so the vector mixes the window's normalised shape, its summary statistics on scales
 * that make tenants comparable, and where it falls in the day and the week.
 */

/** One window of per-minute aggregates, oldest first; all three arrays have the same length (≥ 2). */
export interface MetricWindow {
  /** Errors / requests per minute, in [0, 1]. */
  errorRate: readonly number[];
  /** p95 latency per minute, milliseconds. */
  p95Ms: readonly number[];
  /** Requests per minute. */
  volume: readonly number[];
  /** End of the window (epoch ms, UTC). */
  endMs: number;
}

/** Points each metric's shape is resampled to. */
export const EMBEDDING_SHAPE_POINTS = 12;
const STATS = 4;
/** Length of every embedding: 3 metrics × (shape + 4 statistics) + 4 calendar features. */
export const EMBEDDING_DIMENSIONS = 3 * (EMBEDDING_SHAPE_POINTS + STATS) + 4;

/** Means of `points` equal-width bins over `values` (the bins split the window in time). */
function resample(values: readonly number[], points: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < points; b++) {
    const from = Math.floor((b * values.length) / points);
    const to = Math.max(from + 1, Math.floor(((b + 1) * values.length) / points));
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i] as number;
    out.push(sum / (to - from));
  }
  return out;
}

/**
 * The shape (z-scored resampled series, 0 when flat) and four statistics of one metric on a comparable
 * scale: mean, standard deviation, trend (last minus first bin) and the last bin, after `scale`.
 */
function metricFeatures(values: readonly number[], scale: (x: number) => number): number[] {
  const scaled = values.map((v) => scale(Number.isFinite(v) && v > 0 ? v : 0));
  const bins = resample(scaled, EMBEDDING_SHAPE_POINTS);
  const mean = scaled.reduce((a, b) => a + b, 0) / scaled.length;
  const sd = Math.sqrt(scaled.reduce((a, b) => a + (b - mean) ** 2, 0) / scaled.length);
  const shape = bins.map((b) => (sd > 1e-12 ? (b - mean) / sd : 0) / Math.sqrt(EMBEDDING_SHAPE_POINTS));
  const first = bins[0] as number;
  const last = bins[bins.length - 1] as number;
  return [...shape, mean, sd, last - first, last];
}

/**
 * Embeds one window. Error rate stays in [0, 1] (×4 so a 25% error rate weighs like the other features);
 * p95 and volume are log-scaled (log10(1 + x) / 4: 10 s or 10k/min ≈ 1), so that the same incident at two
 * tenants of different size lands nearby. Hour of day and day of week are encoded on circles.
 */
export function embedMetricWindow(window: MetricWindow): number[] {
  const n = window.errorRate.length;
  if (n < 2 || window.p95Ms.length !== n || window.volume.length !== n) {
    throw new RangeError('a metric window needs error rate, p95 and volume series of the same length (≥ 2)');
  }
  if (!Number.isFinite(window.endMs)) throw new RangeError('endMs must be a finite epoch time');
  const log = (x: number) => Math.log10(1 + x) / 4;
  const date = new Date(window.endMs);
  const hour = (date.getUTCHours() + date.getUTCMinutes() / 60) / 24;
  const day = (date.getUTCDay() + hour) / 7;
  return [
    ...metricFeatures(window.errorRate, (x) => Math.min(1, x) * 4),
    ...metricFeatures(window.p95Ms, log),
    ...metricFeatures(window.volume, log),
    Math.sin(2 * Math.PI * hour) / 2,
    Math.cos(2 * Math.PI * hour) / 2,
    Math.sin(2 * Math.PI * day) / 2,
    Math.cos(2 * Math.PI * day) / 2,
  ];
}
