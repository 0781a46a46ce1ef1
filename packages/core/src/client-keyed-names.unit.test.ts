import { describe, expect, it } from 'vitest';
import { renderPrometheusFromWindows } from './prometheus';
import { CumulativeCounters } from './prometheus-counters';
import { RollingWindows } from './rolling-windows';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('names that collide with Object.prototype', () => {
  const now = Date.UTC(2026, 10, 1, 12, 0, 30);
  const windows = new RollingWindows();
  for (const [i, source] of NAMES.entries()) {
    for (let n = 0; n <= i; n++) {
      windows.add({ timestamp: now - 1000, type: 'api_call', source, status: 200 }, now);
    }
  }

  it('are ordinary sources in the rolling windows, the saved state and its restore', () => {
    const bySource = windows.bySource(now);
    expect(Object.keys(bySource).sort()).toEqual([...NAMES].sort());
    for (const [i, source] of NAMES.entries()) expect(bySource[source]?.['1m'].count).toBe(i + 1);
    const restored = RollingWindows.fromJSON(JSON.parse(JSON.stringify(windows.toJSON())));
    expect(restored.bySource(now)).toEqual(bySource);
    // A source nobody sent has no entry, whatever Object.prototype holds.
    expect(windows.bySource(now).valueOf).toBeUndefined();
  });

  it('are ordinary label values in the Prometheus exposition', () => {
    const counters = new CumulativeCounters();
    for (const [i, source] of NAMES.entries()) {
      counters.add(
        Array.from({ length: i + 1 }, () => ({
          source,
          endpoint: source,
          type: 'api_call',
          status: 200,
          latencyMs: 1,
        })),
      );
    }
    const text = renderPrometheusFromWindows(windows.snapshot(now), windows.bySource(now), '1m', {
      counters: counters.all(),
    });
    for (const [i, source] of NAMES.entries()) {
      for (const family of ['pulsestream_window_events{', 'pulsestream_events_total{']) {
        const line = text.split('\n').find((l) => l.startsWith(family) && l.includes(`source="${source}"`));
        expect(line?.endsWith(` ${i + 1}`), `${source}: ${line}`).toBe(true);
      }
    }
  });
});
