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
  summary: "The tenant's live rolling metrics in Prometheus text exposition format 0.0.4",
  description:
    'pulsestream_events_total, pulsestream_errors_total (gauges over the trailing window) and the ' +
    'pulsestream_latency_ms summary (p50/p95/p99), labelled by source and window; `window` picks 1m (default), 5m, 15m or 1h. ' +
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
      renderPrometheusFromWindows(metrics.overall, metrics.bySource, window) + renderAlertsExposition(alerts);
    return c.text(body, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
  });
}
