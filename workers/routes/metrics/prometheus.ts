import { createRoute, z } from '@hono/zod-openapi';
import { renderAlertsExposition } from '@pulsestream/core/alerting/exposition';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusFromWindows } from '@pulsestream/core/prometheus';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { prometheusQuerySchema } from './schema';

const route = createRoute({
  method: 'get',
  path: '/v1/metrics/prometheus',
  tags: ['metrics'],
  summary: "The tenant's metrics in Prometheus text exposition format 0.0.4",
  description:
    'Cumulative, for rate() and histogram_quantile(): the counters pulsestream_events_total and ' +
    'pulsestream_errors_total and the histogram pulsestream_request_duration_seconds, by source, endpoint and ' +
    'status_class (2xx…5xx, none), kept across restarts. At most 500 series per tenant: later series are counted ' +
    'under source="__other__", endpoint="__other__" (pulsestream_series_overflowed turns 1). Trailing-window ' +
    'gauges: pulsestream_window_events, pulsestream_window_errors, pulsestream_window_latency_seconds ' +
    '(percentile p50/p95/p99) by source, and pulsestream_tenant_window_latency_seconds; `window` picks 1m ' +
    '(default), 5m, 15m or 1h. ' +
    'Plus `ALERTS{alertname, alertstate="pending|firing", rule_id, severity, acknowledged, source} 1` per pending or firing alert rule.',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: prometheusQuerySchema },
  responses: {
    200: { description: 'Exposition text', content: { 'text/plain': { schema: z.string() } } },
  },
});

/** `GET /v1/metrics/prometheus`: rendered from the tenant hub's windows, not from Postgres. */
export function registerMetricsPrometheus(app: App): void {
  app.openapi(route, async (c) => {
    const { window } = c.req.valid('query');
    const { tenantId } = principalOf(c);
    const hub = c.env.TENANT_HUB.getByName(tenantId);
    const [metrics, alerts] = await Promise.all([hub.metrics(), hub.alertExposition()]);
    const body =
      renderPrometheusFromWindows(metrics.overall, metrics.bySource, window, metrics.cumulative) +
      renderAlertsExposition(alerts);
    return c.text(body, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
  });
}
