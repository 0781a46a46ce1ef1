import type { App } from '../../lib/app';
import { registerMetricsPrometheus } from './prometheus';
import { registerMetricsSummary } from './summary';
import { registerMetricsTimeseries } from './timeseries';

/** Query API over the rollups (timeseries, summary) and the live hub (Prometheus). */
export function registerMetrics(app: App): void {
  registerMetricsTimeseries(app);
  registerMetricsSummary(app);
  registerMetricsPrometheus(app);
}
