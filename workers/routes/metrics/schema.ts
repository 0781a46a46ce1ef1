import { z } from '@hono/zod-openapi';
import { TIMESERIES_GROUP_BY, TIMESERIES_INTERVALS, TIMESERIES_METRICS } from '@pulsestream/db';
import { filterText, timeParam } from '../../lib/query-params';

export { timeParam };

export const timeseriesQuerySchema = z.object({
  metric: z.enum(TIMESERIES_METRICS).default('count'),
  from: timeParam.optional(),
  to: timeParam.optional(),
  interval: z.enum(TIMESERIES_INTERVALS).default('1m'),
  source: filterText(256).optional(),
  endpoint: filterText(512).optional(),
  groupBy: z.enum(TIMESERIES_GROUP_BY).optional(),
});

const pointSchema = z.object({ t: z.string(), value: z.number().nullable() });

export const timeseriesSchema = z
  .object({
    metric: z.enum(TIMESERIES_METRICS),
    interval: z.enum(TIMESERIES_INTERVALS),
    from: z.string(),
    to: z.string(),
    series: z.array(z.object({ group: z.string().nullable(), points: z.array(pointSchema) })),
  })
  .openapi('Timeseries');

export const summaryQuerySchema = z.object({ from: timeParam.optional(), to: timeParam.optional() });

const latencySchema = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  avg: z.number().nullable(),
});

export const summarySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    count: z.number(),
    errors: z.number(),
    errorRate: z.number(),
    latency: latencySchema,
    topEndpoints: z.array(
      z.object({
        source: z.string(),
        endpoint: z.string().nullable(),
        count: z.number(),
        errors: z.number(),
        errorRate: z.number(),
        latencyAvg: z.number().nullable(),
        latencyP95: z.number().nullable().openapi({ description: 'p95 latency of this endpoint over the range' }),
      }),
    ),
    topErrors: z.array(
      z.object({
        source: z.string(),
        endpoint: z.string().nullable(),
        errors: z.number(),
        count: z.number(),
        errorRate: z.number(),
      }),
    ),
  })
  .openapi('MetricsSummary');

export const prometheusQuerySchema = z.object({ window: z.enum(['1m', '5m', '15m', '1h']).default('1m') });
