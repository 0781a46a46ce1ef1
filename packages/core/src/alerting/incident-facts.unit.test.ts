import { describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSIONS, embedMetricWindow } from '../anomaly/embedding';
import { templateExplanation } from '../anomaly/explanation';
import type { SeriesCell } from '../timeseries-fill';
import {
  contributorsOf,
  incidentFactsOf,
  localFactsOf,
  metricWindowOf,
  RECENT_MINUTES,
  splitGroups,
} from './incident-facts';

const cell = (group: string, minute: number, count: number, errors: number, latencySum = 0): SeriesCell => ({
  t: minute * 60_000,
  group,
  count,
  errors,
  latencyCount: latencySum > 0 ? count : 0,
  latencySum,
  latencyMin: null,
  latencyMax: null,
  quantileKey: null,
});

describe('contributorsOf', () => {
  it('attributes an error burst to the endpoint whose errors rose', () => {
    const cells: SeriesCell[] = [];
    for (let m = 0; m < 45; m++) {
      cells.push(cell('POST /pay', m, 10, 0), cell('GET /items', m, 30, 1));
    }
    cells.push(cell('POST /pay', 45, 10, 9), cell('GET /items', 45, 30, 1));
    const groups = splitGroups(cells, 45 * 60_000);
    const contributors = contributorsOf({
      metric: 'error_rate',
      kind: 'endpoint',
      groups,
      beforeMinutes: 45,
      afterMinutes: 1,
    });
    expect(contributors.map((c) => c.name)).toEqual(['POST /pay']);
    expect(contributors[0]).toMatchObject({ kind: 'endpoint', share: 1, current: 9, baseline: 0 });
  });

  it('splits a traffic drop between the sources that dropped, in proportion', () => {
    const cells = [cell('a', 0, 100, 0), cell('b', 0, 100, 0), cell('c', 0, 10, 0)];
    cells.push(cell('a', 1, 25, 0), cell('b', 1, 75, 0), cell('c', 1, 20, 0));
    const c = contributorsOf({
      metric: 'count',
      kind: 'source',
      groups: splitGroups(cells, 60_000),
      beforeMinutes: 1,
      afterMinutes: 1,
    });
    expect(c.map((x) => [x.name, x.share])).toEqual([
      ['a', 0.75],
      ['b', 0.25],
    ]);
  });

  it('keeps client names such as __proto__ as plain names', () => {
    const cells = [cell('__proto__', 0, 1, 0), cell('__proto__', 1, 1, 1)];
    const c = contributorsOf({
      metric: 'errors',
      kind: 'source',
      groups: splitGroups(cells, 60_000),
      beforeMinutes: 1,
      afterMinutes: 1,
    });
    expect(c).toEqual([{ kind: 'source', name: '__proto__', share: 1, current: 1, baseline: 0 }]);
  });
});

describe('incidentFactsOf', () => {
  it('shows the recent minutes against the baseline before them, error rates in percent', () => {
    const points = Array.from({ length: 60 }, (_, m) => ({
      minute: 1000 + m,
      value: m === 59 ? 0.5 : 0.02,
      hadEvents: true,
    }));
    const facts = incidentFactsOf({
      metric: 'error_rate',
      points,
      score: 0.9,
      components: [
        { name: 'value', value: 0.9 },
        { name: 'suppressed', value: 0 },
      ],
      contributors: [],
      similar: [],
    });
    expect(facts.recent).toHaveLength(RECENT_MINUTES);
    expect(facts.recent.at(-1)).toBe(50);
    expect(facts.baseline.median).toBeCloseTo(2);
    expect(facts.unit).toBe('%');
    expect(facts.components.map((c) => c.name)).toEqual(['value']);
    expect(facts.from).toBe(1000 * 60_000);
    expect(facts.to).toBe(1060 * 60_000);
  });
});

describe('localFactsOf', () => {
  it('explains from the evaluator’s own figures when rollups cannot be read', () => {
    const anomaly = localFactsOf({
      metric: 'error_rate',
      at: 5 * 60_000 + 10,
      value: 0.5,
      threshold: 0.14,
      anomaly: { score: 0.8, components: [{ name: 'value', value: 0.8 }], baseline: { median: 0.02, p95: 0.05 } },
    });
    expect(anomaly).toMatchObject({ recent: [50], baseline: { median: 2, p95: 5 }, from: 300_000, to: 360_000 });
    expect(templateExplanation(anomaly).summary).toBe('error_rate reached 50.0%, above its usual 2.0% (25.0× higher).');
    const threshold = localFactsOf({ metric: 'latency_p95', at: 0, value: 900, threshold: 500 });
    expect(threshold.baseline).toEqual({ median: 500, p95: 500 });
    expect(threshold.components).toEqual([]);
  });
});

describe('metricWindowOf', () => {
  it('builds a window the embedding accepts, with empty minutes as zeros', () => {
    const w = metricWindowOf({
      cells: [cell('', 10, 20, 2), cell('', 12, 40, 0)],
      p95Cells: [{ ...cell('', 10, 20, 0), quantileValue: 80 }],
      fromMinute: 10,
      toMinute: 12,
    });
    expect(w.errorRate).toEqual([0.1, 0, 0]);
    expect(w.volume).toEqual([20, 0, 40]);
    expect(w.p95Ms).toEqual([80, 0, 0]);
    expect(w.endMs).toBe(13 * 60_000);
    expect(embedMetricWindow(w)).toHaveLength(EMBEDDING_DIMENSIONS);
  });
});
