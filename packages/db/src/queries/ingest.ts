import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, tenants } from '../schema';

/** A tenant's plan limits, as the ingest path enforces them. */
export interface PlanLimits {
  retentionDays: number;
  monthlyEventQuota: number;
  rateLimitPerSec: number;
  rateLimitBurst: number;
}

/** An API key with its tenant's plan: what the edge needs to admit a request. */
export interface IngestKey {
  keyId: string;
  tenantId: string;
  scopes: string[];
  revoked: boolean;
  /** When the key was last recorded as used (written behind, so up to a minute or a gate flush old). */
  lastUsedAt: Date | null;
  plan: PlanLimits;
}

/**
 * The API key for a SHA-256 key hash, joined with its (not deleted) tenant's plan limits, in one round
 * trip; null when unknown. Revoked keys are returned with `revoked: true` so the gate learns about them.
 */
export async function findIngestKeyByHash(db: Database, keyHash: string): Promise<IngestKey | null> {
  const rows = await db
    .select({
      keyId: apiKeys.id,
      tenantId: apiKeys.tenantId,
      scopes: apiKeys.scopes,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
      retentionDays: tenants.retentionDays,
      monthlyEventQuota: tenants.monthlyEventQuota,
      rateLimitPerSec: tenants.rateLimitPerSec,
      rateLimitBurst: tenants.rateLimitBurst,
    })
    .from(apiKeys)
    .innerJoin(tenants, and(eq(tenants.id, apiKeys.tenantId), isNull(tenants.deletedAt)))
    .where(eq(apiKeys.keyHash, keyHash))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  return {
    keyId: row.keyId,
    tenantId: row.tenantId,
    scopes: row.scopes,
    revoked: row.revokedAt !== null,
    lastUsedAt: row.lastUsedAt,
    plan: {
      retentionDays: row.retentionDays,
      monthlyEventQuota: row.monthlyEventQuota,
      rateLimitPerSec: row.rateLimitPerSec,
      rateLimitBurst: row.rateLimitBurst,
    },
  };
}

/** Plan limits of a tenant, or null when it does not exist (or is deleted). */
export async function findTenantPlan(db: Database, tenantId: string): Promise<PlanLimits | null> {
  const rows = await db
    .select({
      retentionDays: tenants.retentionDays,
      monthlyEventQuota: tenants.monthlyEventQuota,
      rateLimitPerSec: tenants.rateLimitPerSec,
      rateLimitBurst: tenants.rateLimitBurst,
    })
    .from(tenants)
    .where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)))
    .limit(1);
  return rows[0] ?? null;
}
