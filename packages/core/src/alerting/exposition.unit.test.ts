import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderAlertsExposition } from './exposition';

describe('renderAlertsExposition', () => {
  it('renders one parseable sample per pending or firing rule, with escaped labels', () => {
    const text = renderAlertsExposition([
      {
        ruleId: 'b',
        ruleName: 'Errors "high"\nagain',
        severity: 'critical',
        state: 'firing',
        source: 'stripe',
        acknowledged: true,
      },
      { ruleId: 'a', ruleName: 'quiet', severity: 'info', state: 'pending', source: null, acknowledged: false },
    ]);
    const families = parsePrometheusTextFormat(text);
    expect(families).toHaveLength(1);
    const metrics = families[0]?.metrics ?? [];
    expect(metrics.map((m) => m.labels)).toEqual([
      { alertname: 'quiet', alertstate: 'pending', rule_id: 'a', severity: 'info', acknowledged: 'false' },
      {
        alertname: 'Errors "high"\nagain',
        alertstate: 'firing',
        rule_id: 'b',
        severity: 'critical',
        acknowledged: 'true',
        source: 'stripe',
      },
    ]);
    expect(metrics.every((m) => 'value' in m && m.value === '1')).toBe(true);
  });

  it('declares the family even with nothing firing', () => {
    expect(renderAlertsExposition([])).toBe(
      '# HELP ALERTS Alert rules of this tenant that are pending or firing (1 per rule).\n# TYPE ALERTS gauge\n',
    );
  });
});
