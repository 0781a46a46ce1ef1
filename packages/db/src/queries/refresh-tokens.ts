import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { refreshTokens, tenants, users } from '../schema';
import type { Executor } from './audit-log';
import type { UserRole } from './tenancy';

/** A refresh token to store: only its hash, never the token. */
export interface RefreshTokenInsert {
  tenantId: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/** Stores a refresh token hash (a new family at login/signup, or the next token of a family on rotation). */
export async function insertRefreshToken(db: Executor, token: RefreshTokenInsert): Promise<void> {
  await db.insert(refreshTokens).values(token);
}

/** Outcome of {@link rotateRefreshToken}. */
export type RotateOutcome =
  | { status: 'rotated'; tenantId: string; userId: string; role: UserRole; familyId: string }
  /** The token had already been rotated: it was stolen or replayed, so its whole family is now revoked. */
  | { status: 'reused'; tenantId: string; userId: string; familyId: string }
  | { status: 'invalid' };

/**
 * Spends a refresh token and stores its successor in one transaction. The spend is a conditional UPDATE
 * (`rotated_at IS NULL`), so of two concurrent uses exactly one succeeds and the other is treated as
 * reuse. Reuse of a rotated token revokes every token of its family, including the live one.
 */
export async function rotateRefreshToken(
  db: Database,
  input: { tokenHash: string; nextTokenHash: string; expiresAt: Date },
): Promise<RotateOutcome> {
  return db.transaction(async (tx): Promise<RotateOutcome> => {
    const now = new Date();
    const [spent] = await tx
      .update(refreshTokens)
      .set({ rotatedAt: now })
      .where(
        and(
          eq(refreshTokens.tokenHash, input.tokenHash),
          isNull(refreshTokens.rotatedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .returning({
        tenantId: refreshTokens.tenantId,
        userId: refreshTokens.userId,
        familyId: refreshTokens.familyId,
      });
    if (!spent) {
      const [known] = await tx
        .select({
          tenantId: refreshTokens.tenantId,
          userId: refreshTokens.userId,
          familyId: refreshTokens.familyId,
          rotatedAt: refreshTokens.rotatedAt,
        })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, input.tokenHash));
      if (!known?.rotatedAt) return { status: 'invalid' };
      await tx
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.familyId, known.familyId), isNull(refreshTokens.revokedAt)));
      return { status: 'reused', tenantId: known.tenantId, userId: known.userId, familyId: known.familyId };
    }
    const [user] = await tx
      .select({ role: users.role })
      .from(users)
      .innerJoin(tenants, and(eq(tenants.id, users.tenantId), isNull(tenants.deletedAt)))
      .where(and(eq(users.id, spent.userId), eq(users.tenantId, spent.tenantId)));
    if (!user) return { status: 'invalid' };
    await tx.insert(refreshTokens).values({
      tenantId: spent.tenantId,
      userId: spent.userId,
      familyId: spent.familyId,
      tokenHash: input.nextTokenHash,
      expiresAt: input.expiresAt,
    });
    return { status: 'rotated', ...spent, role: user.role };
  });
}

/** Revokes one refresh token (logout). Returns its owner when it was live, null otherwise. */
export async function revokeRefreshToken(
  db: Database,
  tokenHash: string,
): Promise<{ tenantId: string; userId: string } | null> {
  const [row] = await db
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.revokedAt)))
    .returning({ tenantId: refreshTokens.tenantId, userId: refreshTokens.userId });
  return row ?? null;
}

/** Every token of a family with its state; for tests and support tooling. */
export async function listRefreshFamily(db: Database, familyId: string) {
  return db
    .select({
      id: refreshTokens.id,
      rotatedAt: refreshTokens.rotatedAt,
      revokedAt: refreshTokens.revokedAt,
      expiresAt: refreshTokens.expiresAt,
    })
    .from(refreshTokens)
    .where(eq(refreshTokens.familyId, familyId));
}
