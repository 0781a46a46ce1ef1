import {
  rankMatches,
  type VectorIndex,
  type VectorItem,
  type VectorMatch,
  type VectorMetadata,
  type VectorQuery,
  validateVectorItem,
} from '@pulsestream/core/anomaly/vector-index';

/** Vectorize returns at most 20 matches when metadata is returned. */
const VECTORIZE_MAX_TOP_K_WITH_METADATA = 20;

/** The part of the Vectorize binding used here (so tests can pass a local double). */
export type VectorizeBinding = Pick<VectorizeIndex, 'upsert' | 'query'>;

/**
 * The production `VectorIndex` over the `VECTORIZE` binding (index `pulsestream-anomalies`): one namespace
 * per tenant, so a query only ever searches that tenant's vectors, and metadata tenant, metric, time and
 * label on each vector. Vectorize ids are unique across the whole index, so each id carries the tenant
 * (36 + 1 + ≤ 27 characters = the 64-byte limit). Filtering by metric needs a metadata index on `metric`
 * (`wrangler vectorize create-metadata-index pulsestream-anomalies --property-name metric --type string`).
 */
export class VectorizeVectorIndex implements VectorIndex {
  constructor(private readonly binding: VectorizeBinding) {}

  async upsert(tenantId: string, items: readonly VectorItem[]): Promise<void> {
    if (items.length === 0) return;
    for (const item of items) validateVectorItem(tenantId, item);
    await this.binding.upsert(
      items.map((item) => ({
        id: `${tenantId}:${item.id}`,
        namespace: tenantId,
        values: [...item.values],
        metadata: {
          tenant: tenantId,
          metric: item.metadata.metric,
          time: item.metadata.time,
          label: item.metadata.label,
        },
      })),
    );
  }

  async query(tenantId: string, vector: readonly number[], options: VectorQuery): Promise<VectorMatch[]> {
    const topK = Math.min(VECTORIZE_MAX_TOP_K_WITH_METADATA, Math.max(0, Math.floor(options.topK)));
    if (topK === 0) return [];
    const result = await this.binding.query([...vector], {
      topK,
      namespace: tenantId,
      returnMetadata: 'all',
      ...(options.metric !== undefined ? { filter: { metric: options.metric } } : {}),
    });
    const prefix = `${tenantId}:`;
    const matches: VectorMatch[] = [];
    for (const m of result.matches) {
      const md = m.metadata as Partial<Record<keyof VectorMetadata, unknown>> | undefined;
      // Belt and braces: never report a vector of another tenant, whatever the namespace returned.
      if (!m.id.startsWith(prefix) || md?.tenant !== tenantId) continue;
      matches.push({
        id: m.id.slice(prefix.length),
        score: m.score,
        metadata: {
          tenant: tenantId,
          metric: String(md.metric ?? ''),
          time: Number(md.time ?? 0),
          label: String(md.label ?? ''),
        },
      });
    }
    return rankMatches(matches, topK);
  }
}
