import { embedMetricWindow } from '@pulsestream/core/anomaly/embedding';
import { ExactVectorIndex, type VectorItem } from '@pulsestream/core/anomaly/vector-index';
import { PgVectorStore } from '@pulsestream/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';

const TENANT = '0b0b0b0b-0000-4000-8000-0000000000a1';
const OTHER = '0b0b0b0b-0000-4000-8000-0000000000a2';
const T0 = Date.UTC(2026, 10, 2, 9, 0);

beforeAll(async () => {
  await truncateAll();
});

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

function window(r: () => number, endMs: number, burst: boolean): number[] {
  return embedMetricWindow({
    errorRate: Array.from({ length: 60 }, (_, i) => (burst && i > 40 ? 0.2 + 0.2 * r() : 0.02 * r())),
    p95Ms: Array.from({ length: 60 }, () => 100 + 100 * r()),
    volume: Array.from({ length: 60 }, () => 500 + 500 * r()),
    endMs,
  });
}

function items(tenant: string, count: number, seed: number): VectorItem[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const time = T0 + i * 600_000;
    return {
      id: `win-${i}`,
      values: window(r, time, i % 5 === 0),
      metadata: {
        tenant,
        metric: i % 3 === 0 ? 'latency' : 'errors',
        time,
        label: i % 5 === 0 ? 'incident' : 'normal',
      },
    };
  });
}

/** Cosine nearest neighbours computed directly, independently of the index. */
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

describe('ExactVectorIndex over Postgres (anomaly_vectors)', () => {
  it('stores embeddings losslessly and returns the brute-force neighbours, per tenant and metric', async () => {
    await withDb(async (db) => {
      const index = new ExactVectorIndex(new PgVectorStore(db));
      const mine = items(TENANT, 120, 1);
      await index.upsert(TENANT, mine);
      await index.upsert(OTHER, items(OTHER, 30, 2));

      const stored = await new PgVectorStore(db).list(TENANT);
      expect(stored.length).toBe(120);
      const first = stored.find((s) => s.id === 'win-0');
      expect(first?.values).toEqual(mine[0]?.values);
      expect(first?.metadata).toEqual(mine[0]?.metadata);

      const r = rng(7);
      for (let q = 0; q < 8; q++) {
        const query = window(r, T0 + q * 900_000, q % 2 === 0);
        const metric = q % 3 === 0 ? 'errors' : undefined;
        const got = await index.query(TENANT, query, { topK: 5, ...(metric ? { metric } : {}) });
        expect(got.map((m) => m.id)).toEqual(bruteForce(mine, query, 5, metric));
        for (const m of got) expect(m.metadata.tenant).toBe(TENANT);
      }

      // Upserting an id again replaces its row.
      const moved = {
        ...(mine[1] as VectorItem),
        metadata: { ...(mine[1] as VectorItem).metadata, label: 'incident-42' },
      };
      await index.upsert(TENANT, [moved]);
      const again = await index.query(TENANT, moved.values, { topK: 1 });
      expect(again[0]).toMatchObject({ id: 'win-1', metadata: { label: 'incident-42' } });
      expect((await new PgVectorStore(db).list(TENANT)).length).toBe(120);
    });
  });
});
