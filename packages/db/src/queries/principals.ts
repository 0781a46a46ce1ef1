import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { tenants, users } from '../schema';

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
