import { and, asc, count, eq, isNull, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { refreshTokens, tenants, users } from '../schema';
import { type AuditEntry, appendAudit } from './audit-log';

/** A user's role inside its tenant (mirrors the `users.role` column). */
export type UserRole = 'owner' | 'admin' | 'member' | 'viewer';

/** A user as the API shows it: never the password hash. */
export interface PublicUser {
  id: string;
  tenantId: string;
  email: string;
  role: UserRole;
  createdAt: Date;
  updatedAt: Date;
}

/** A tenant as the API shows it. */
export interface PublicTenant {
  id: string;
  name: string;
  slug: string;
  plan: string;
  createdAt: Date;
}

const publicUser = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  role: users.role,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

const publicTenant = {
  id: tenants.id,
  name: tenants.name,
  slug: tenants.slug,
  plan: tenants.plan,
  createdAt: tenants.createdAt,
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when Postgres refused a write for a unique constraint (drizzle wraps the driver error in `cause`). */
export function isUniqueViolation(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if ((current as { code?: unknown }).code === '23505') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Creates a tenant and its owner in one transaction. Slugs are tried in order with
 * `ON CONFLICT DO NOTHING`, so a taken slug costs one statement, not an aborted transaction.
 * Returns null when every candidate slug is taken (the caller retries with fresh candidates).
 */
export async function createTenantWithOwner(
  db: Database,
  input: {
    tenantName: string;
    slugCandidates: readonly string[];
    email: string;
    passwordHash: string;
    audit: (ids: { tenantId: string; userId: string }) => Omit<AuditEntry, 'tenantId'>;
  },
): Promise<{ tenant: PublicTenant; user: PublicUser } | null> {
  return db.transaction(async (tx) => {
    let tenant: PublicTenant | undefined;
    for (const slug of input.slugCandidates) {
      [tenant] = await tx
        .insert(tenants)
        .values({ name: input.tenantName, slug })
        .onConflictDoNothing({ target: tenants.slug })
        .returning(publicTenant);
      if (tenant) break;
    }
    if (!tenant) return null;
    const [user] = await tx
      .insert(users)
      .values({ tenantId: tenant.id, email: input.email, passwordHash: input.passwordHash, role: 'owner' })
      .returning(publicUser);
    if (!user) throw new Error('owner insert returned nothing');
    await appendAudit(tx, { tenantId: tenant.id, ...input.audit({ tenantId: tenant.id, userId: user.id }) });
    return { tenant, user };
  });
}

/** The tenant, unless deleted. */
export async function getTenant(db: Database, tenantId: string): Promise<PublicTenant | null> {
  const [row] = await db
    .select(publicTenant)
    .from(tenants)
    .where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)))
    .limit(1);
  return row ?? null;
}

/** A login candidate: the one user row a login attempt will check the password against. */
export interface LoginCandidate {
  userId: string;
  tenantId: string;
  role: UserRole;
  passwordHash: string;
}

/**
 * The user an email + optional tenant (slug or id) designates. An email may belong to several tenants;
 * without a tenant the oldest membership is chosen, so the answer is deterministic and a single password
 * check is made whatever the number of memberships (the response time says nothing about them).
 */
export async function findLoginCandidate(
  db: Database,
  email: string,
  tenant?: string | undefined,
): Promise<LoginCandidate | null> {
  const tenantFilter =
    tenant === undefined
      ? undefined
      : UUID_RE.test(tenant)
        ? or(eq(tenants.slug, tenant), eq(tenants.id, tenant))
        : eq(tenants.slug, tenant);
  const [row] = await db
    .select({ userId: users.id, tenantId: users.tenantId, role: users.role, passwordHash: users.passwordHash })
    .from(users)
    .innerJoin(tenants, and(eq(tenants.id, users.tenantId), isNull(tenants.deletedAt)))
    .where(and(eq(users.email, email), tenantFilter))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(1);
  return row ?? null;
}

/** The user, only if it belongs to `tenantId`. */
export async function getTenantUser(db: Database, tenantId: string, userId: string): Promise<PublicUser | null> {
  const [row] = await db
    .select(publicUser)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)))
    .limit(1);
  return row ?? null;
}

/** Every user of a tenant, oldest first. Tenants have tens of users, not thousands, so no pagination. */
export async function listTenantUsers(db: Database, tenantId: string): Promise<PublicUser[]> {
  return db.select(publicUser).from(users).where(eq(users.tenantId, tenantId)).orderBy(asc(users.createdAt));
}

/** Adds a user; `conflict` when the email already exists in the tenant. */
export async function createTenantUser(
  db: Database,
  input: {
    tenantId: string;
    email: string;
    passwordHash: string;
    role: UserRole;
    audit: (user: PublicUser) => Omit<AuditEntry, 'tenantId'>;
  },
): Promise<{ ok: true; user: PublicUser } | { ok: false; reason: 'conflict' }> {
  try {
    return await db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ tenantId: input.tenantId, email: input.email, passwordHash: input.passwordHash, role: input.role })
        .onConflictDoNothing()
        .returning(publicUser);
      if (!user) return { ok: false as const, reason: 'conflict' as const };
      await appendAudit(tx, { tenantId: input.tenantId, ...input.audit(user) });
      return { ok: true as const, user };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'conflict' };
    throw err;
  }
}

/** What the policy callback sees, read inside the transaction that performs the change. */
export interface UserChangeContext {
  actor: { id: string; role: UserRole };
  target: { id: string; role: UserRole };
  ownerCount: number;
}

/** Outcome of {@link changeTenantUser}. */
export type UserChangeOutcome =
  | { ok: true; user: PublicUser | null }
  | { ok: false; reason: 'not_found' | 'conflict' }
  | { ok: false; reason: 'denied'; code: string; message: string };

/**
 * Updates or removes a user under a policy decided on fresh data. The tenant row is locked first, so two
 * concurrent changes in one tenant (e.g. two owners demoting each other) are serialised and the owner count
 * the policy sees is the one the write lands on. A password change revokes the user's refresh tokens.
 */
export async function changeTenantUser(
  db: Database,
  input: {
    tenantId: string;
    actorId: string;
    targetId: string;
    patch?: { email?: string | undefined; passwordHash?: string | undefined; role?: UserRole | undefined };
    remove?: boolean;
    authorize: (ctx: UserChangeContext) => { ok: true } | { ok: false; code: string; message: string };
    audit: (user: PublicUser) => Omit<AuditEntry, 'tenantId'>;
  },
): Promise<UserChangeOutcome> {
  const { tenantId } = input;
  try {
    return await db.transaction(async (tx): Promise<UserChangeOutcome> => {
      const locked = await tx.execute(
        sql`SELECT id FROM ${tenants} WHERE ${tenants.id} = ${tenantId} AND ${tenants.deletedAt} IS NULL FOR UPDATE`,
      );
      if (locked.rows.length === 0) return { ok: false, reason: 'not_found' };
      const [target] = await tx
        .select(publicUser)
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.id, input.targetId)));
      const [actor] = await tx
        .select({ id: users.id, role: users.role })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.id, input.actorId)));
      if (!target || !actor) return { ok: false, reason: 'not_found' };
      const [owners] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.role, 'owner')));
      const decision = input.authorize({
        actor,
        target: { id: target.id, role: target.role },
        ownerCount: owners?.n ?? 0,
      });
      if (!decision.ok) return { ok: false, reason: 'denied', code: decision.code, message: decision.message };

      if (input.remove) {
        await tx.delete(users).where(and(eq(users.tenantId, tenantId), eq(users.id, target.id)));
        await appendAudit(tx, { tenantId, ...input.audit(target) });
        return { ok: true, user: null };
      }
      const patch = input.patch ?? {};
      if (patch.email !== undefined && patch.email !== target.email) {
        const [taken] = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.tenantId, tenantId), eq(users.email, patch.email), ne(users.id, target.id)));
        if (taken) return { ok: false, reason: 'conflict' };
      }
      const [updated] = await tx
        .update(users)
        .set({
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.passwordHash !== undefined ? { passwordHash: patch.passwordHash } : {}),
          ...(patch.role !== undefined ? { role: patch.role } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, target.id)))
        .returning(publicUser);
      if (!updated) return { ok: false, reason: 'not_found' };
      if (patch.passwordHash !== undefined) {
        // A new password ends every session that the old one started.
        await tx
          .update(refreshTokens)
          .set({ revokedAt: new Date() })
          .where(and(eq(refreshTokens.userId, target.id), isNull(refreshTokens.revokedAt)));
      }
      await appendAudit(tx, { tenantId, ...input.audit(updated) });
      return { ok: true, user: updated };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'conflict' };
    throw err;
  }
}
