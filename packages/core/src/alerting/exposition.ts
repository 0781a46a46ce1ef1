/**
 * An `ALERTS`-style series for the Prometheus exposition, as Prometheus itself exports for its alerting rules:
 * one sample of value 1 per pending or firing rule, labelled with the rule and its state.
 */
import { escapeLabelValue } from '../prometheus';

export interface ExposedAlert {
  ruleId: string;
  ruleName: string;
  severity: string;
  state: 'pending' | 'firing';
  source: string | null;
  acknowledged: boolean;
}

/** Renders the `ALERTS` family (HELP and TYPE always, so scrapers see it exists even with nothing firing). */
export function renderAlertsExposition(alerts: readonly ExposedAlert[]): string {
  const lines = [
    '# HELP ALERTS Alert rules of this tenant that are pending or firing (1 per rule).',
    '# TYPE ALERTS gauge',
  ];
  for (const a of [...alerts].sort((x, y) => x.ruleId.localeCompare(y.ruleId))) {
    const labels: [string, string][] = [
      ['alertname', a.ruleName],
      ['alertstate', a.state],
      ['rule_id', a.ruleId],
      ['severity', a.severity],
      ['acknowledged', a.acknowledged ? 'true' : 'false'],
    ];
    if (a.source !== null) labels.push(['source', a.source]);
    lines.push(`ALERTS{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}} 1`);
  }
  return `${lines.join('\n')}\n`;
}
