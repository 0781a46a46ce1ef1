import { cosineSimilarity } from '@pulsestream/core/anomaly/vector-index';
import { describe, expect, it } from 'vitest';
import { type VectorizeBinding, VectorizeVectorIndex } from '../../workers/lib/vectorize-index';

const A = '0b0b0b0b-0000-4000-8000-0000000000b1';
const B = '0b0b0b0b-0000-4000-8000-0000000000b2';

/** A local stand-in for the Vectorize binding: namespaces, metadata filter on equality, cosine scores. */
function fakeVectorize() {
  const stored = new Map<string, VectorizeVector>();
  const queries: { vector: number[]; options: VectorizeQueryOptions | undefined }[] = [];
  const binding: VectorizeBinding = {
    async upsert(vectors) {
      for (const v of vectors) stored.set(v.id, v);
      return { ids: vectors.map((v) => v.id), count: vectors.length };
    },
    async query(vector, options) {
      queries.push({ vector: [...vector], options });
      const filter = (options?.filter ?? {}) as Record<string, unknown>;
      const matches = [...stored.values()]
        .filter((v) => v.namespace === options?.namespace)
        .filter((v) => Object.entries(filter).every(([k, want]) => v.metadata?.[k] === want))
        .map((v) => ({
          id: v.id,
          score: cosineSimilarity([...vector], [...(v.values as number[])]),
          metadata: v.metadata,
        }))
        .sort((x, y) => y.score - x.score)
        .slice(0, options?.topK ?? 5);
      return { matches, count: matches.length };
    },
  };
  return { binding, stored, queries };
}

describe('VectorizeVectorIndex', () => {
  it('writes one namespace per tenant with tenant-prefixed ids and the four metadata fields', async () => {
    const fake = fakeVectorize();
    const index = new VectorizeVectorIndex(fake.binding);
    await index.upsert(A, [
      { id: 'inc-1', values: [1, 0, 0], metadata: { tenant: A, metric: 'errors', time: 5, label: 'incident' } },
    ]);
    expect([...fake.stored.values()]).toEqual([
      {
        id: `${A}:inc-1`,
        namespace: A,
        values: [1, 0, 0],
        metadata: { tenant: A, metric: 'errors', time: 5, label: 'incident' },
      },
    ]);
  });

  it('queries the tenant’s namespace only, filters by metric and strips the tenant from ids', async () => {
    const fake = fakeVectorize();
    const index = new VectorizeVectorIndex(fake.binding);
    const md = (tenant: string, metric: string, label: string) => ({ tenant, metric, time: 1, label });
    await index.upsert(A, [
      { id: 'near', values: [1, 0.1, 0], metadata: md(A, 'errors', 'incident') },
      { id: 'far', values: [0, 1, 0], metadata: md(A, 'errors', 'normal') },
      { id: 'lat', values: [1, 0, 0], metadata: md(A, 'latency', 'normal') },
    ]);
    await index.upsert(B, [{ id: 'near', values: [1, 0, 0], metadata: md(B, 'errors', 'incident') }]);
    const got = await index.query(A, [1, 0, 0], { topK: 2, metric: 'errors' });
    expect(got.map((m) => [m.id, m.metadata.label])).toEqual([
      ['near', 'incident'],
      ['far', 'normal'],
    ]);
    expect(fake.queries[0]?.options).toEqual({
      topK: 2,
      namespace: A,
      returnMetadata: 'all',
      filter: { metric: 'errors' },
    });
    // At most 20 matches are asked for (Vectorize's limit with metadata), and topK 0 asks for nothing.
    await index.query(A, [1, 0, 0], { topK: 500 });
    expect(fake.queries[1]?.options?.topK).toBe(20);
    expect(await index.query(A, [1, 0, 0], { topK: 0 })).toEqual([]);
    expect(fake.queries.length).toBe(2);
  });

  it('drops any match that belongs to another tenant and refuses items naming another tenant', async () => {
    const leaky: VectorizeBinding = {
      upsert: async () => ({ ids: [], count: 0 }),
      query: async () => ({
        matches: [
          { id: `${B}:x`, score: 0.9, metadata: { tenant: B, metric: 'errors', time: 1, label: 'incident' } },
          { id: `${A}:y`, score: 0.8, metadata: { tenant: A, metric: 'errors', time: 2, label: 'normal' } },
        ],
        count: 2,
      }),
    };
    const index = new VectorizeVectorIndex(leaky);
    expect((await index.query(A, [1], { topK: 5 })).map((m) => m.id)).toEqual(['y']);
    await expect(
      index.upsert(A, [{ id: 'z', values: [1], metadata: { tenant: B, metric: 'e', time: 1, label: 'l' } }]),
    ).rejects.toThrow(/another tenant/);
  });
});
