/**
 * Vector memory: windows of a tenant's metrics (see embedding.ts) stored with a label, so that a new
 * anomaly can be compared with the nearest past ones. `VectorIndex` is what callers use; the exact local
 * implementation here (cosine, brute force over a store) serves dev and tests, and Vectorize serves
 * production (workers/lib/vectorize-index.ts) behind the same interface.
 */

/** What is stored with each vector. */
export interface VectorMetadata {
  tenant: string;
  metric: string;
  /** Epoch ms of the window's end. */
  time: number;
  /** e.g. "incident", "normal", or an incident id. */
  label: string;
}

export interface VectorItem {
  /** Unique within a tenant; at most 27 characters (Vectorize ids are ≤ 64 bytes and carry the tenant). */
  id: string;
  values: readonly number[];
  metadata: VectorMetadata;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity in [−1, 1]. */
  score: number;
  metadata: VectorMetadata;
}

export interface VectorQuery {
  topK: number;
  /** Only vectors of this metric. */
  metric?: string;
}

/** A per-tenant index of vectors: one tenant never sees another's. */
export interface VectorIndex {
  upsert(tenantId: string, items: readonly VectorItem[]): Promise<void>;
  query(tenantId: string, vector: readonly number[], options: VectorQuery): Promise<VectorMatch[]>;
}

export const MAX_VECTOR_ID_LENGTH = 27;
export const MAX_TOP_K = 50;

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Checks an item before it is stored; throws RangeError saying what is wrong. */
export function validateVectorItem(tenantId: string, item: VectorItem, dimensions?: number): void {
  if (item.id.length === 0 || item.id.length > MAX_VECTOR_ID_LENGTH) {
    throw new RangeError(`vector id must be 1–${MAX_VECTOR_ID_LENGTH} characters`);
  }
  if (item.metadata.tenant !== tenantId) throw new RangeError('vector metadata names another tenant');
  if (dimensions !== undefined && item.values.length !== dimensions) {
    throw new RangeError(`vector has ${item.values.length} dimensions, expected ${dimensions}`);
  }
  if (item.values.length === 0 || !item.values.every(Number.isFinite)) {
    throw new RangeError('vector values must be finite numbers');
  }
  if (!Number.isFinite(item.metadata.time)) throw new RangeError('vector metadata time must be finite');
}

/** Rows a store keeps for the exact index. */
export interface VectorStore {
  put(tenantId: string, items: readonly VectorItem[]): Promise<void>;
  /** Every stored item of the tenant (of the metric, when given). */
  list(tenantId: string, metric?: string): Promise<VectorItem[]>;
}

/** Orders matches best first; equal scores by id so results are deterministic. */
export function rankMatches(matches: VectorMatch[], topK: number): VectorMatch[] {
  return matches.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).slice(0, topK);
}

/** Exact nearest neighbours by cosine similarity, computed over every stored vector of the tenant. */
export class ExactVectorIndex implements VectorIndex {
  constructor(private readonly store: VectorStore) {}

  async upsert(tenantId: string, items: readonly VectorItem[]): Promise<void> {
    for (const item of items) validateVectorItem(tenantId, item);
    await this.store.put(tenantId, items);
  }

  async query(tenantId: string, vector: readonly number[], options: VectorQuery): Promise<VectorMatch[]> {
    const topK = Math.min(MAX_TOP_K, Math.max(0, Math.floor(options.topK)));
    if (topK === 0) return [];
    const items = await this.store.list(tenantId, options.metric);
    const matches = items
      .filter((item) => item.values.length === vector.length)
      .map((item) => ({ id: item.id, score: cosineSimilarity(vector, item.values), metadata: item.metadata }));
    return rankMatches(matches, topK);
  }
}

/** An in-memory store (per tenant, then per id), for tests and scripts. */
export class MemoryVectorStore implements VectorStore {
  private readonly tenants = new Map<string, Map<string, VectorItem>>();

  async put(tenantId: string, items: readonly VectorItem[]): Promise<void> {
    let byId = this.tenants.get(tenantId);
    if (!byId) {
      byId = new Map();
      this.tenants.set(tenantId, byId);
    }
    for (const item of items) byId.set(item.id, { ...item, values: [...item.values], metadata: { ...item.metadata } });
  }

  async list(tenantId: string, metric?: string): Promise<VectorItem[]> {
    const items = [...(this.tenants.get(tenantId)?.values() ?? [])];
    return metric === undefined ? items : items.filter((i) => i.metadata.metric === metric);
  }
}
