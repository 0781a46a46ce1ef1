import { describe, expect, it } from 'vitest';
import { burstingSource, DEMO_ENDPOINTS, demoBatch, seededRandom } from './demo-traffic';

const plan = { everyMs: 100_000, lastsMs: 20_000 };

describe('demo traffic', () => {
  it('spreads events over every provider with mostly successful calls outside bursts', () => {
    const t = 50_000; // between bursts
    expect(burstingSource(t, plan)).toBeNull();
    const events = demoBatch(seededRandom(1), t, 5_000, plan);
    const sources = new Set(events.map((e) => e.source));
    expect(sources).toEqual(new Set(DEMO_ENDPOINTS.map((e) => e.source)));
    const errors = events.filter((e) => e.status >= 500).length / events.length;
    expect(errors).toBeLessThan(0.02);
    // Latencies sit around each endpoint's median.
    const charges = events.filter((e) => e.endpoint === 'POST /v1/charges').map((e) => e.latencyMs);
    charges.sort((a, b) => a - b);
    const median = charges[Math.floor(charges.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(320 * 0.85);
    expect(median).toBeLessThan(320 * 1.15);
  });

  it('puts one provider in trouble during a burst: 5xx around 40% and slower', () => {
    const t = 5_000; // inside the first burst
    const troubled = burstingSource(t, plan);
    expect(troubled).toBe('stripe');
    expect(burstingSource(105_000, plan)).toBe('twilio');
    const events = demoBatch(seededRandom(2), t, 5_000, plan);
    const hit = events.filter((e) => e.source === troubled);
    const rate = hit.filter((e) => e.status === 503).length / hit.length;
    expect(rate).toBeGreaterThan(0.35);
    expect(rate).toBeLessThan(0.45);
    const others = events.filter((e) => e.source !== troubled);
    expect(others.some((e) => e.status === 503)).toBe(false);
  });

  it('is deterministic for a seed', () => {
    expect(demoBatch(seededRandom(7), 1, 20, plan)).toEqual(demoBatch(seededRandom(7), 1, 20, plan));
  });
});
