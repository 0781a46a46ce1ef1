import { createRoute } from '@hono/zod-openapi';
import { sketchFromBuckets } from '@pulsestream/core/sketch-buckets';
import { querySummary } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { summaryQuerySchema, summarySchema } from './schema';

const DEFAULT_RANGE_MS = 24 * 60 * 60_000;
/** Longest range a summary covers (rollups are kept as long as events). */
const MAX_RANGE_MS = 400 * 24 * 60 * 60_000;
const TOP = 10;

const route = createRoute({
  method: 'get',
  path: '/v1/metrics/summary',
  tags: ['metrics'],
  summary: 'Totals, error rate, latency percentiles, top endpoints and top errors over a range',
  description: 'from/to are aligned outward to whole minutes (UTC); default: the last 24 h.',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: summaryQuerySchema },
  responses: {
    200: { description: 'The summary', content: { 'application/json': { schema: summarySchema } } },
  },
});

/** `GET /v1/metrics/summary`. */
export function registerMetricsSummary(app: App): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const { tenantId } = principalOf(c);
    const toRaw = query.to ?? new Date();
    const fromRaw = query.from ?? new Date(toRaw.getTime() - DEFAULT_RANGE_MS);
    if (fromRaw.getTime() >= toRaw.getTime()) throw new ApiError('bad_request', '"from" must be before "to".');
    if (toRaw.getTime() - fromRaw.getTime() > MAX_RANGE_MS) {
      throw new ApiError('bad_request', 'The range may span at most 400 days.');
    }
    const from = new Date(Math.floor(fromRaw.getTime() / 60_000) * 60_000);
    const to = new Date(Math.ceil(toRaw.getTime() / 60_000) * 60_000);
    const totals = await querySummary(c.get('services').db(), { tenantId, from, to }, TOP);
    const { count, errors } = totals;
    const sketch = sketchFromBuckets(totals.latencyBuckets, {
      sum: totals.latencySum,
      min: totals.latencyMin,
      max: totals.latencyMax,
    });
    const topEndpoints = totals.endpoints.map((e) => ({
      source: e.source,
      endpoint: e.endpoint === '' ? null : e.endpoint,
      count: e.count,
      errors: e.errors,
      errorRate: e.count > 0 ? e.errors / e.count : 0,
      latencyAvg: e.latencyCount > 0 ? e.latencySum / e.latencyCount : null,
      latencyP95: sketchFromBuckets(e.latencyBuckets, {
        sum: e.latencySum,
        min: e.latencyMin,
        max: e.latencyMax,
      }).quantile(0.95),
    }));
    return c.json(
      {
        from: from.toISOString(),
        to: to.toISOString(),
        count,
        errors,
        errorRate: count > 0 ? errors / count : 0,
        latency: {
          p50: sketch.quantile(0.5),
          p95: sketch.quantile(0.95),
          p99: sketch.quantile(0.99),
          avg: sketch.count > 0 ? sketch.sum / sketch.count : null,
        },
        topEndpoints,
        topErrors: totals.topErrors.map((e) => ({
          source: e.source,
          endpoint: e.endpoint === '' ? null : e.endpoint,
          errors: e.errors,
          count: e.count,
          errorRate: e.count > 0 ? e.errors / e.count : 0,
        })),
      },
      200,
    );
  });
}
