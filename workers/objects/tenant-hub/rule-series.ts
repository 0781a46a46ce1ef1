import type { AlertFilter, AlertWindow } from '@pulsestream/core/alerting/rule';
import { WINDOW_MINUTES } from '@pulsestream/core/rolling-windows';
import type { TimeseriesQuery } from '@pulsestream/db';

const MINUTE_MS = 60_000;

/**
 * The minute-rollup query (less its metric) a rule reads for the minutes `fromMinute..toMinute` (epoch
 * minutes, inclusive), starting one rule window earlier so the first minute has its full window of history.
 */
export function ruleSeriesRange(
  rule: { filter: AlertFilter; window: AlertWindow },
  tenantId: string,
  fromMinute: number,
  toMinute: number,
): Omit<TimeseriesQuery, 'metric'> {
  return {
    tenantId,
    from: new Date((fromMinute - WINDOW_MINUTES[rule.window] + 1) * MINUTE_MS),
    to: new Date((toMinute + 1) * MINUTE_MS),
    interval: '1m',
    source: rule.filter.source,
    endpoint: rule.filter.endpoint,
  };
}
