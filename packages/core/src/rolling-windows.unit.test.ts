import { describe, expect, it } from 'vitest';
import { DDSketch } from './ddsketch';
import type { RollingWindowsData } from './rolling-windows';
import {
  emptyWindowStats,
  isErrorEvent,
  OTHER_SOURCE,
  RollingWindows,
  statusClass,
  WINDOW_MINUTES,
  WINDOWS,
} from './rolling-windows';

const MIN = 60_000;
/** A minute boundary, plus 30 s so "now" sits mid-minute. */
const T = Date.parse('2025-06-01T12:00:00Z');
const NOW = T + 30_000;

describe('helpers', () => {
  it('classifies errors', () => {
    expect(isErrorEvent({ type: 'error' })).toBe(true);
    expect(isErrorEvent({ type: 'error', status: 200 })).toBe(true);
    expect(isErrorEvent({ status: 500 })).toBe(true);
    expect(isErrorEvent({ status: 503, type: 'api_call' })).toBe(true);
    expect(isErrorEvent({ status: 499 })).toBe(false);
    expect(isErrorEvent({ status: null, type: 'custom' })).toBe(false);
    expect(isErrorEvent({})).toBe(false);
  });

  it('computes status classes', () => {
    expect(statusClass(undefined)).toBe(0);
    expect(statusClass(null)).toBe(0);
    expect(statusClass(204)).toBe(2);
    expect(statusClass(404)).toBe(4);
    expect(statusClass(599)).toBe(5);
    expect(statusClass(100)).toBe(1);
  });

  it('lists the windows in ascending order', () => {
    expect(WINDOWS).toEqual(['1m', '5m', '15m', '1h']);
    expect(WINDOWS.map((w) => WINDOW_MINUTES[w])).toEqual([1, 5, 15, 60]);
  });
});

describe('RollingWindows window membership', () => {
  it('puts each minute in the right windows', () => {
    const w = new RollingWindows();
    // One event per listed minute offset; counts below follow from "current + previous N-1".
    for (const ago of [0, 1, 4, 5, 14, 15, 59]) {
      expect(w.add({ timestamp: T - ago * MIN + 10_000, source: 's' }, NOW)).toBe(true);
    }
    expect(w.add({ timestamp: T - 60 * MIN + 10_000, source: 's' }, NOW)).toBe(false);
    const snap = w.snapshot(NOW);
    expect(snap['1m'].count).toBe(1);
    expect(snap['5m'].count).toBe(3);
    expect(snap['15m'].count).toBe(5);
    expect(snap['1h'].count).toBe(7);
  });

  it('counts slightly-future events now and ignores far-future ones', () => {
    const w = new RollingWindows();
    expect(w.add({ timestamp: NOW + 45_000, source: 's' }, NOW)).toBe(true); // next minute, within skew
    expect(w.add({ timestamp: NOW + 60_000, source: 's' }, NOW)).toBe(true);
    expect(w.add({ timestamp: NOW + 60_001, source: 's' }, NOW)).toBe(false);
    expect(w.add({ timestamp: Number.NaN, source: 's' }, NOW)).toBe(false);
    expect(w.snapshot(NOW)['1m'].count).toBe(2);
  });

  it('slides as time passes', () => {
    const w = new RollingWindows();
    w.add({ timestamp: T, source: 's' }, T);
    w.add({ timestamp: T + 2 * MIN, source: 's' }, T + 2 * MIN);
    const later = T + 2 * MIN + 1000;
    expect(w.snapshot(later)['1m'].count).toBe(1);
    expect(w.snapshot(later)['5m'].count).toBe(2);
    const muchLater = T + 61 * MIN; // window = minutes T+2 .. T+61
    expect(w.snapshot(muchLater)['1h'].count).toBe(1);
    expect(w.snapshot(T + 62 * MIN)['1h']).toEqual(emptyWindowStats());
  });
});

describe('RollingWindows stats', () => {
  it('counts errors and error rate', () => {
    const w = new RollingWindows();
    const statuses = [200, 201, 500, 503, 404, null, 200, 200];
    for (const status of statuses) w.add({ timestamp: NOW, source: 's', status }, NOW);
    w.add({ timestamp: NOW, source: 's', type: 'error' }, NOW);
    const s = w.snapshot(NOW)['1m'];
    expect(s.count).toBe(9);
    expect(s.errors).toBe(3);
    expect(s.errorRate).toBeCloseTo(3 / 9, 12);
  });

  it('reports null percentiles without latencies but still counts events', () => {
    const w = new RollingWindows();
    w.add({ timestamp: NOW, source: 's' }, NOW);
    w.add({ timestamp: NOW, source: 's', latencyMs: null }, NOW);
    w.add({ timestamp: NOW, source: 's', latencyMs: -5 }, NOW);
    w.add({ timestamp: NOW, source: 's', latencyMs: Number.NaN }, NOW);
    const s = w.snapshot(NOW)['1h'];
    expect(s.count).toBe(4);
    expect(s.p50).toBeNull();
    expect(s.p99).toBeNull();
    expect(s.latencyCount).toBe(0);
  });

  it('merges per-minute sketches into window percentiles', () => {
    const w = new RollingWindows();
    const all = new DDSketch();
    const values: number[] = [];
    for (let minute = 0; minute < 20; minute++) {
      for (let i = 0; i < 100; i++) {
        // Later minutes are slower, so windows of different lengths have different percentiles.
        const latency = 10 + minute * 20 + i;
        values.push(latency);
        all.add(latency);
        w.add({ timestamp: T - minute * MIN, source: 's', latencyMs: latency }, NOW);
      }
    }
    const snap = w.snapshot(NOW);
    expect(snap['1h'].p95).toBe(all.quantile(0.95));
    expect(snap['1h'].p50).toBe(all.quantile(0.5));
    expect(snap['1h'].latencyCount).toBe(2000);
    expect(snap['1h'].latencySum).toBe(values.reduce((a, b) => a + b, 0));
    // 1m holds only minute 0: latencies 10..109, lower-rank median is 59.
    expect(Math.abs((snap['1m'].p50 ?? 0) - 59) / 59).toBeLessThanOrEqual(0.01);
    expect(snap['1m'].p99).toBeLessThan(snap['5m'].p99 ?? 0);
  });

  it('computes events per second over the covered time', () => {
    const w = new RollingWindows();
    for (let i = 0; i < 60; i++) w.add({ timestamp: T + 1000, source: 's' }, NOW);
    for (let i = 0; i < 300; i++) w.add({ timestamp: T - 2 * MIN, source: 's' }, NOW);
    const snap = w.snapshot(NOW);
    expect(snap['1m'].eventsPerSec).toBe(2); // 60 events over the 30 s elapsed
    expect(snap['5m'].eventsPerSec).toBeCloseTo(360 / 270, 3);
    expect(snap['1h'].eventsPerSec).toBeCloseTo(360 / (59 * 60 + 30), 3);
    // At the very start of a minute the divisor is clamped to 1 s.
    expect(w.snapshot(T + 2 * MIN)['1m'].eventsPerSec).toBe(0);
  });
});

describe('RollingWindows per source', () => {
  it('splits stats by source', () => {
    const w = new RollingWindows();
    w.add({ timestamp: NOW, source: 'stripe', status: 200, latencyMs: 100 }, NOW);
    w.add({ timestamp: NOW, source: 'stripe', status: 502, latencyMs: 300 }, NOW);
    w.add({ timestamp: NOW - 10 * MIN, source: 'twilio', latencyMs: 50 }, NOW);
    const by = w.bySource(NOW);
    expect(Object.keys(by)).toEqual(['stripe', 'twilio']);
    expect(by.stripe?.['1m']).toMatchObject({ count: 2, errors: 1, errorRate: 0.5 });
    expect(by.twilio?.['1m'].count).toBe(0);
    expect(by.twilio?.['15m'].count).toBe(1);
    expect(by.twilio?.['15m'].p50).toBe(50);
    expect(w.snapshot(NOW)['15m'].count).toBe(3);
  });

  it('caps distinct sources and sends the overflow to __other__', () => {
    const w = new RollingWindows({ maxSources: 3 });
    for (let i = 0; i < 10; i++) w.add({ timestamp: NOW, source: `svc-${i}`, latencyMs: i }, NOW);
    w.add({ timestamp: NOW, source: 'svc-1' }, NOW); // known source still tracked by name
    const by = w.bySource(NOW);
    expect(Object.keys(by).sort()).toEqual([OTHER_SOURCE, 'svc-0', 'svc-1', 'svc-2']);
    expect(by[OTHER_SOURCE]?.['1m'].count).toBe(7);
    expect(by['svc-1']?.['1m'].count).toBe(2);
    expect(w.sourceCount).toBe(3);
    // Totals are unaffected by the cap.
    expect(w.snapshot(NOW)['1m'].count).toBe(11);
  });

  it('frees source slots once a source ages out of the hour', () => {
    const w = new RollingWindows({ maxSources: 1 });
    w.add({ timestamp: T, source: 'old' }, T);
    const later = T + 61 * MIN;
    w.add({ timestamp: later, source: 'new' }, later);
    expect(Object.keys(w.bySource(later))).toEqual(['new']);
  });
});

describe('RollingWindows memory and persistence', () => {
  it('prunes buckets older than an hour', () => {
    const w = new RollingWindows();
    for (let m = 0; m < 180; m++) w.add({ timestamp: T + m * MIN, source: `s${m}` }, T + m * MIN);
    expect(w.bucketCount).toBeLessThanOrEqual(60);
    expect(w.sourceCount).toBeLessThanOrEqual(60);
    w.prune(T + 300 * MIN);
    expect(w.bucketCount).toBe(0);
    expect(w.sourceCount).toBe(0);
  });

  it('round-trips through JSON text', () => {
    const w = new RollingWindows({ maxSources: 2 });
    for (let i = 0; i < 500; i++) {
      w.add(
        { timestamp: NOW - (i % 30) * MIN, source: `svc-${i % 4}`, status: i % 7 === 0 ? 500 : 200, latencyMs: i },
        NOW,
      );
    }
    const restored = RollingWindows.fromJSON(JSON.parse(JSON.stringify(w)) as RollingWindowsData);
    expect(restored.snapshot(NOW)).toEqual(w.snapshot(NOW));
    expect(restored.bySource(NOW)).toEqual(w.bySource(NOW));
    expect(restored.maxSources).toBe(2);
    // The source limit survives the round trip.
    restored.add({ timestamp: NOW, source: 'brand-new' }, NOW);
    expect(Object.keys(restored.bySource(NOW))).not.toContain('brand-new');
  });

  it('rejects malformed persisted data', () => {
    expect(() => RollingWindows.fromJSON({ v: 2 } as unknown as RollingWindowsData)).toThrow(TypeError);
    expect(() =>
      RollingWindows.fromJSON({ v: 1, a: 0.01, maxSources: 5, minutes: [{ m: 1.5, t: null, src: {} }] } as never),
    ).toThrow(TypeError);
  });
});
