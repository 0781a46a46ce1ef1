import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, tenants, users } from '../schema';

/** The API key row for a SHA-256 key hash, with its tenant; null when unknown. Revoked keys are returned. */
export async function findApiKeyByHash(db: Database, keyHash: string) {
  const rows = await db
    .select({
      id: apiKeys.id,
      tenantId: apiKeys.tenantId,
      scopes: apiKeys.scopes,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .innerJoin(tenants, and(eq(tenants.id, apiKeys.tenantId), isNull(tenants.deletedAt)))
    .where(eq(apiKeys.keyHash, keyHash))
    .limit(1);
  return rows[0] ?? null;
}

/** The user's current role, or null if the user no longer exists in that tenant. */
export async function findUserRole(db: Database, tenantId: string, userId: string) {
  const rows = await db
    .select({ role: users.role })
    .from(users)
    .innerJoin(tenants, and(eq(tenants.id, users.tenantId), isNull(tenants.deletedAt)))
    .where(and(eq(users.id, userId), eq(users.tenantId, tenantId)))
    .limit(1);
  return rows[0]?.role ?? null;
}
