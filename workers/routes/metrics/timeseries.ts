import { createRoute } from '@hono/zod-openapi';
import { fillSeries, pointCount } from '@pulsestream/core/timeseries-fill';
import { INTERVAL_MINUTES, queryTimeseries } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { timeseriesQuerySchema, timeseriesSchema } from './schema';

/** Points one series may have; 7 days at 5m (2,016) fits, a year at 1m does not. */
export const MAX_POINTS = 2_100;
/** Series one groupBy returns at most (the heaviest groups over the range). */
export const MAX_GROUPS = 20;
const DEFAULT_RANGE_MS = 60 * 60_000;

const route = createRoute({
  method: 'get',
  path: '/v1/metrics/timeseries',
  tags: ['metrics'],
  summary: 'A metric over time from the minute rollups, zero-filled, optionally grouped',
  description:
    'from/to are aligned outward to the interval (UTC). At most 2,100 points per series and 20 groups. ' +
    'groupBy=status groups by status class (2xx, 4xx, 5xx, none). Latency metrics are null in empty buckets.',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: timeseriesQuerySchema },
  responses: {
    200: { description: 'The series', content: { 'application/json': { schema: timeseriesSchema } } },
  },
});

/** `GET /v1/metrics/timeseries`. */
export function registerMetricsTimeseries(app: App): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const { tenantId } = principalOf(c);
    const intervalMs = INTERVAL_MINUTES[query.interval] * 60_000;
    const toRaw = query.to ?? new Date();
    const fromRaw = query.from ?? new Date(toRaw.getTime() - DEFAULT_RANGE_MS);
    if (fromRaw.getTime() >= toRaw.getTime()) throw new ApiError('bad_request', '"from" must be before "to".');
    const fromMs = Math.floor(fromRaw.getTime() / intervalMs) * intervalMs;
    const toMs = Math.ceil(toRaw.getTime() / intervalMs) * intervalMs;
    const points = pointCount(fromMs, toMs, intervalMs);
    if (points > MAX_POINTS) {
      throw new ApiError(
        'bad_request',
        `The range has ${points} points at interval ${query.interval}; at most ${MAX_POINTS} are allowed. Use a larger interval or a shorter range.`,
      );
    }
    const cells = await queryTimeseries(c.get('services').db(), {
      tenantId,
      from: new Date(fromMs),
      to: new Date(toMs),
      interval: query.interval,
      metric: query.metric,
      source: query.source,
      endpoint: query.endpoint,
      groupBy: query.groupBy,
    });
    const series = fillSeries(cells, {
      metric: query.metric,
      fromMs,
      toMs,
      intervalMs,
      grouped: query.groupBy !== undefined,
      maxGroups: MAX_GROUPS,
    });
    return c.json(
      {
        metric: query.metric,
        interval: query.interval,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        series,
      },
      200,
    );
  });
}
