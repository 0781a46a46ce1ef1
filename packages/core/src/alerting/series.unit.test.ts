import { describe, expect, it } from 'vitest';
import { AlertSeries } from './series';

const T = Date.UTC(2026, 0, 5, 12, 0, 0);

describe('AlertSeries', () => {
  it('keeps a 1m window populated across a minute boundary (sliding, scaled)', () => {
    const s = new AlertSeries();
    for (let i = 0; i < 60; i++) s.add({ timestamp: T + i * 1000, status: i % 2 === 0 ? 500 : 200 }, T + i * 1000);
    const justAfter = T + 60_000 + 2_000;
    const stats = s.sliding(justAfter, 1);
    expect(stats.errorRate).toBeCloseTo(0.5);
    // 60 events over 62 s, scaled to a minute.
    expect(stats.count).toBeCloseTo((60 * 60) / 62);
    expect(stats.eventsPerSec).toBeCloseTo(60 / 62);
  });

  it('forgets minutes older than the window', () => {
    const s = new AlertSeries();
    s.add({ timestamp: T, status: 500 }, T);
    expect(s.sliding(T + 2 * 60_000 + 1, 1).count).toBe(0);
    expect(s.sliding(T + 2 * 60_000 + 1, 5).count).toBeGreaterThan(0);
  });

  it('reports completed windows exactly, and percentiles', () => {
    const s = new AlertSeries();
    for (let i = 1; i <= 100; i++) s.add({ timestamp: T + i * 100, latencyMs: i }, T + 30_000);
    const c = s.completed(Math.floor(T / 60_000), 1);
    expect(c.count).toBe(100);
    expect(c.p95).toBeGreaterThan(93);
    expect(c.p95).toBeLessThan(97);
  });

  it('ignores events far in the future and round-trips minutes', () => {
    const s = new AlertSeries();
    expect(s.add({ timestamp: T + 5 * 60_000 }, T)).toBeNull();
    const m = s.add({ timestamp: T, status: 503, latencyMs: 5 }, T);
    expect(m).toBe(Math.floor(T / 60_000));
    const copy = new AlertSeries();
    copy.loadMinute(JSON.parse(JSON.stringify(s.minuteData(m ?? 0))));
    expect(copy.completed(m ?? 0, 1)).toEqual(s.completed(m ?? 0, 1));
    expect(() => copy.loadMinute({} as never)).toThrow(TypeError);
  });
});
