/**
 * `promtool check metrics` (Debian's `prometheus` package) on the exposition as the route renders it, with
 * every family populated, awkward label values and the overflow series. Skipped, and says so, where promtool
 * is not installed; scripts/bench/prometheus-rate.ts runs the same check against a live stack.
 */
import { spawnSync } from 'node:child_process';
import { renderPrometheusFromWindows } from '@pulsestream/core/prometheus';
import { CumulativeCounters } from '@pulsestream/core/prometheus-counters';
import { RollingWindows } from '@pulsestream/core/rolling-windows';
import { describe, expect, it } from 'vitest';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe.skipIf(!hasPromtool)('promtool check metrics', () => {
  it('passes on the full exposition', () => {
    const now = Date.now();
    const w = new RollingWindows();
    const c = new CumulativeCounters([], 4);
    const events = Array.from({ length: 200 }, (_, i) => ({
      timestamp: now,
      source: ['stripe', 'twilio', 'we"ird\\src', 'new\nline'][i % 4] ?? 'x',
      endpoint: `GET /v1/things/:id/${i % 3}`,
      type: i % 17 === 0 ? 'error' : 'api_call',
      status: i % 7 === 0 ? 503 : i % 11 === 0 ? null : 200,
      latencyMs: i % 13 === 0 ? null : i * 37,
    }));
    for (const e of events) w.add(e, now);
    c.add(events);
    const text = renderPrometheusFromWindows(w.snapshot(now), w.bySource(now), '5m', {
      counters: c.all(),
      seriesLimit: { max: c.maxSeries, overflowed: c.overflowed },
    });
    expect(c.overflowed).toBe(true);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
