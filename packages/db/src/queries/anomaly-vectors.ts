import type { VectorItem, VectorStore } from '@pulsestream/core/anomaly/vector-index';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { anomalyVectors } from '../schema';

/**
 * Postgres storage for the exact local vector index (`ExactVectorIndex` in core computes the similarities):
 * a set-based upsert and a per-tenant (and per-metric) listing.
 */
export class PgVectorStore implements VectorStore {
  constructor(private readonly db: Database) {}

  async put(tenantId: string, items: readonly VectorItem[]): Promise<void> {
    if (items.length === 0) return;
    const col = <T>(pick: (i: VectorItem) => T) => sql.param(items.map(pick));
    // Embeddings travel as JSON arrays (unnest cannot carry a ragged 2-D array) and become double precision[].
    await this.db.execute(sql`
      INSERT INTO anomaly_vectors AS v (tenant_id, id, metric, time, label, embedding)
      SELECT ${tenantId}::uuid, t.id, t.metric, to_timestamp(t.time_ms / 1000.0), t.label,
             ARRAY(SELECT jsonb_array_elements_text(t.embedding)::double precision)
      FROM unnest(${col((i) => i.id)}::text[], ${col((i) => i.metadata.metric)}::text[],
                  ${col((i) => i.metadata.time)}::double precision[], ${col((i) => i.metadata.label)}::text[],
                  ${col((i) => JSON.stringify(i.values))}::jsonb[])
        AS t(id, metric, time_ms, label, embedding)
      ON CONFLICT (tenant_id, id) DO UPDATE SET
        metric = excluded.metric, time = excluded.time, label = excluded.label, embedding = excluded.embedding`);
  }

  async list(tenantId: string, metric?: string): Promise<VectorItem[]> {
    const rows = await this.db
      .select()
      .from(anomalyVectors)
      .where(
        metric === undefined
          ? eq(anomalyVectors.tenantId, tenantId)
          : and(eq(anomalyVectors.tenantId, tenantId), eq(anomalyVectors.metric, metric)),
      );
    return rows.map((r) => ({
      id: r.id,
      values: r.embedding,
      metadata: { tenant: r.tenantId, metric: r.metric, time: r.time.getTime(), label: r.label },
    }));
  }
}
