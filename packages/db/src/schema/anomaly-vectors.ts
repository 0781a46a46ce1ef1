import { doublePrecision, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns';

/**
 * The exact local vector memory (dev and tests; production uses Vectorize): one embedding of a tenant
 * metric window per row, with the metadata a match is reported with.
 */
export const anomalyVectors = pgTable(
  'anomaly_vectors',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: text('id').notNull(),
    metric: text('metric').notNull(),
    time: tstz('time').notNull(),
    label: text('label').notNull(),
    embedding: doublePrecision('embedding').array().notNull(),
  },
  (t) => [
    primaryKey({ name: 'anomaly_vectors_pkey', columns: [t.tenantId, t.id] }),
    index('anomaly_vectors_tenant_metric_idx').on(t.tenantId, t.metric),
  ],
);
