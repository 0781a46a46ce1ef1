import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys } from '../schema';
import { type AuditEntry, appendAudit } from './audit-log';

/** An API key as listings show it: prefix only, never the key or its hash. */
export interface PublicApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const publicApiKey = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

/** A tenant's keys, newest first, revoked ones included (with `revokedAt`). */
export async function listApiKeys(db: Database, tenantId: string): Promise<PublicApiKey[]> {
  return db.select(publicApiKey).from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.createdAt));
}

/** Stores a new key's hash and prefix, with its audit row, in one transaction. */
export async function createApiKey(
  db: Database,
  input: {
    tenantId: string;
    name: string;
    prefix: string;
    keyHash: string;
    scopes: string[];
    createdBy: string | null;
    audit: (key: PublicApiKey) => Omit<AuditEntry, 'tenantId'>;
  },
): Promise<PublicApiKey> {
  return db.transaction(async (tx) => {
    const [key] = await tx
      .insert(apiKeys)
      .values({
        tenantId: input.tenantId,
        name: input.name,
        prefix: input.prefix,
        keyHash: input.keyHash,
        scopes: input.scopes,
        createdBy: input.createdBy,
      })
      .returning(publicApiKey);
    if (!key) throw new Error('api key insert returned nothing');
    await appendAudit(tx, { tenantId: input.tenantId, ...input.audit(key) });
    return key;
  });
}

/**
 * Revokes a key of `tenantId` (idempotent: an already revoked key keeps its first `revoked_at` and gets no
 * second audit row). Returns what the gate needs to learn of it, or null when the tenant has no such key.
 */
export async function revokeApiKey(
  db: Database,
  input: { tenantId: string; keyId: string; audit: ((key: PublicApiKey) => Omit<AuditEntry, 'tenantId'>) | null },
): Promise<{ key: PublicApiKey; keyHash: string; alreadyRevoked: boolean } | null> {
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.tenantId, input.tenantId), eq(apiKeys.id, input.keyId), isNull(apiKeys.revokedAt)))
      .returning({ ...publicApiKey, keyHash: apiKeys.keyHash });
    if (revoked) {
      const { keyHash, ...key } = revoked;
      if (input.audit) await appendAudit(tx, { tenantId: input.tenantId, ...input.audit(key) });
      return { key, keyHash, alreadyRevoked: false };
    }
    const [existing] = await tx
      .select({ ...publicApiKey, keyHash: apiKeys.keyHash })
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, input.tenantId), eq(apiKeys.id, input.keyId)));
    if (!existing) return null;
    const { keyHash, ...key } = existing;
    return { key, keyHash, alreadyRevoked: true };
  });
}
