import { describe, expect, it } from 'vitest';
import { sketchKey } from './sketch-buckets';
import { cellValue, fillSeries, pointCount, type SeriesCell } from './timeseries-fill';

const cell = (t: number, group: string, extra: Partial<SeriesCell> = {}): SeriesCell => ({
  t,
  group,
  count: 10,
  errors: 2,
  latencyCount: 10,
  latencySum: 500,
  latencyMin: 10,
  latencyMax: 90,
  quantileKey: null,
  ...extra,
});

describe('fillSeries', () => {
  it('zero-fills count metrics and leaves latency gaps null', () => {
    const counts = fillSeries([cell(60_000, '')], {
      metric: 'count',
      fromMs: 0,
      toMs: 180_000,
      intervalMs: 60_000,
      grouped: false,
      maxGroups: 20,
    });
    expect(counts).toEqual([
      {
        group: null,
        points: [
          { t: '1970-01-01T00:00:00.000Z', value: 0 },
          { t: '1970-01-01T00:01:00.000Z', value: 10 },
          { t: '1970-01-01T00:02:00.000Z', value: 0 },
        ],
      },
    ]);
    const avg = fillSeries([cell(0, '')], {
      metric: 'latency_avg',
      fromMs: 0,
      toMs: 120_000,
      intervalMs: 60_000,
      grouped: false,
      maxGroups: 20,
    });
    expect(avg[0]?.points.map((p) => p.value)).toEqual([50, null]);
  });

  it('keeps the heaviest groups only', () => {
    const series = fillSeries([cell(0, 'a', { count: 1 }), cell(0, 'b', { count: 5 }), cell(0, 'c', { count: 3 })], {
      metric: 'count',
      fromMs: 0,
      toMs: 60_000,
      intervalMs: 60_000,
      grouped: true,
      maxGroups: 2,
    });
    expect(series.map((s) => s.group)).toEqual(['b', 'c']);
  });

  it('computes rates and percentile values from quantile keys', () => {
    expect(cellValue('error_rate', cell(0, ''))).toBe(0.2);
    expect(cellValue('error_rate', cell(0, '', { count: 0, errors: 0 }))).toBe(0);
    const p = cellValue('latency_p95', cell(0, '', { quantileKey: sketchKey(80) }));
    expect(Math.abs((p ?? 0) - 80) / 80).toBeLessThanOrEqual(0.01);
    expect(pointCount(0, 61_000, 60_000)).toBe(2);
  });
});
