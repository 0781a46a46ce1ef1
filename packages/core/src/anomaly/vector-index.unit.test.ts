import { describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSIONS, embedMetricWindow } from './embedding';
import { ExactVectorIndex, MemoryVectorStore, type VectorItem } from './vector-index';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TENANT = '0b0b0b0b-0000-4000-8000-000000000001';
const OTHER = '0b0b0b0b-0000-4000-8000-000000000002';
const T0 = Date.UTC(2026, 10, 2, 9, 0);

function randomWindow(r: () => number, endMs: number, burst = false) {
  const n = 60;
  return embedMetricWindow({
    errorRate: Array.from({ length: n }, (_, i) => (burst && i > 45 ? 0.3 + 0.1 * r() : 0.01 * r())),
    p95Ms: Array.from({ length: n }, () => 120 + 40 * r()),
    volume: Array.from({ length: n }, () => 900 + 200 * r()),
    endMs,
  });
}

function items(count: number, seed: number, tenant = TENANT): VectorItem[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `w${i}`,
    values: randomWindow(r, T0 + i * 3_600_000, i % 7 === 0),
    metadata: {
      tenant,
      metric: i % 2 === 0 ? 'errors' : 'latency',
      time: T0 + i * 3_600_000,
      label: i % 7 === 0 ? 'incident' : 'normal',
    },
  }));
}

/** Brute force written independently of the index: dot products over norms, sorted. */
function bruteForce(all: VectorItem[], q: number[], k: number, metric?: string): string[] {
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return all
    .filter((i) => metric === undefined || i.metadata.metric === metric)
    .map((i) => ({
      id: i.id,
      s: i.values.reduce((s, x, j) => s + x * (q[j] as number), 0) / (norm(i.values) * norm(q)),
    }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

describe('embedMetricWindow', () => {
  it('has a fixed length whatever the window length, with finite values', () => {
    for (const n of [2, 17, 60, 240]) {
      const v = embedMetricWindow({
        errorRate: Array.from({ length: n }, (_, i) => (i % 3) / 10),
        p95Ms: Array.from({ length: n }, () => 200),
        volume: Array.from({ length: n }, (_, i) => i),
        endMs: T0,
      });
      expect(v.length).toBe(EMBEDDING_DIMENSIONS);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });

  it('puts an error burst nearer another burst than a calm window, and encodes the hour of day', () => {
    const r = rng(3);
    const calm = randomWindow(r, T0);
    const burstA = randomWindow(r, T0, true);
    const burstB = randomWindow(r, T0 + 86_400_000 * 7, true);
    const dist = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - (b[i] as number)));
    expect(dist(burstA, burstB)).toBeLessThan(dist(burstA, calm));
    const noon = randomWindow(rng(1), Date.UTC(2026, 10, 2, 12));
    const midnight = randomWindow(rng(1), Date.UTC(2026, 10, 2, 0));
    expect(noon.slice(-4, -2)).not.toEqual(midnight.slice(-4, -2));
  });

  it('refuses ragged or too short windows', () => {
    expect(() => embedMetricWindow({ errorRate: [0], p95Ms: [1], volume: [1], endMs: T0 })).toThrow(RangeError);
    expect(() => embedMetricWindow({ errorRate: [0, 0], p95Ms: [1], volume: [1, 1], endMs: T0 })).toThrow(RangeError);
  });
});

describe('ExactVectorIndex', () => {
  it('returns the same neighbours as a brute-force computation, per tenant and metric', async () => {
    const index = new ExactVectorIndex(new MemoryVectorStore());
    const mine = items(200, 1);
    await index.upsert(TENANT, mine);
    await index.upsert(OTHER, items(50, 2, OTHER));
    const r = rng(9);
    for (let q = 0; q < 20; q++) {
      const query = randomWindow(r, T0 + q * 1_800_000, q % 3 === 0);
      const k = 1 + (q % 10);
      const metric = q % 2 === 0 ? undefined : 'errors';
      const got = await index.query(TENANT, query, { topK: k, ...(metric ? { metric } : {}) });
      expect(got.map((m) => m.id)).toEqual(bruteForce(mine, query, k, metric));
      for (const m of got) expect(m.metadata.tenant).toBe(TENANT);
    }
  });

  it('replaces a vector upserted again under the same id and refuses bad items', async () => {
    const index = new ExactVectorIndex(new MemoryVectorStore());
    const [a, b] = items(2, 4);
    if (!a || !b) throw new Error('fixture');
    await index.upsert(TENANT, [a]);
    await index.upsert(TENANT, [{ ...b, id: a.id }]);
    const got = await index.query(TENANT, b.values, { topK: 5 });
    expect(got.map((m) => m.id)).toEqual([a.id]);
    expect(got[0]?.score).toBeCloseTo(1, 12);
    await expect(index.upsert(TENANT, [{ ...a, metadata: { ...a.metadata, tenant: OTHER } }])).rejects.toThrow(
      /another tenant/,
    );
    await expect(index.upsert(TENANT, [{ ...a, id: 'x'.repeat(28) }])).rejects.toThrow(/id/);
    await expect(index.upsert(TENANT, [{ ...a, values: [Number.NaN] }])).rejects.toThrow(/finite/);
    expect(await index.query(OTHER, b.values, { topK: 5 })).toEqual([]);
  });
});
