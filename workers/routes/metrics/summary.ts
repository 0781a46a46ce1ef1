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

const statusClassName = (c: number) => (c === 0 ? 'none' : `${c}xx`);

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
    let count = 0;
    let errors = 0;
    for (const e of totals.endpoints) {
      count += e.count;
      errors += e.errors;
    }
    const sketch = sketchFromBuckets(totals.latencyBuckets, {
      sum: totals.latencySum,
      min: totals.latencyMin,
      max: totals.latencyMax,
    });
    const topEndpoints = [...totals.endpoints]
      .sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.endpoint.localeCompare(b.endpoint))
      .slice(0, TOP)
      .map((e) => ({
        source: e.source,
        endpoint: e.endpoint === '' ? null : e.endpoint,
        count: e.count,
        errors: e.errors,
        errorRate: e.count > 0 ? e.errors / e.count : 0,
        latencyAvg: e.latencyCount > 0 ? e.latencySum / e.latencyCount : null,
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
        topErrors: totals.errors.map((e) => ({
          source: e.source,
          endpoint: e.endpoint === '' ? null : e.endpoint,
          statusClass: statusClassName(e.statusClass),
          errors: e.errors,
          count: e.count,
        })),
      },
      200,
    );
  });
}
