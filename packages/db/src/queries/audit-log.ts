import { and, desc, eq, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { auditLog } from '../schema';

/** A database or an open transaction: audit rows are written inside the transaction of the change they record. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0];

/** Who did something, as the audit log records it. */
export interface AuditActor {
  type: 'user' | 'api_key' | 'system' | 'anonymous';
  id: string | null;
}

/** One audit entry to append. `metadata` must never carry a credential; the callers pass ids and names. */
export interface AuditEntry {
  tenantId: string;
  actor: AuditActor;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** An audit row as the API shows it. */
export interface AuditRow {
  id: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  metadata: unknown;
  createdAt: Date;
}

/** Appends one audit row for `entry.tenantId`. */
export async function appendAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    tenantId: entry.tenantId,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: entry.ip ?? null,
    metadata: entry.metadata ?? null,
  });
}

/**
 * A tenant's audit rows, newest first, keyset-paginated by id: `before` is the last id of the previous page.
 * Returns `limit + 1` rows at most internally to know whether another page exists.
 */
export async function listAudit(
  db: Database,
  tenantId: string,
  options: { limit: number; before?: string | undefined },
): Promise<{ rows: AuditRow[]; nextBefore: string | null }> {
  const where =
    options.before === undefined
      ? eq(auditLog.tenantId, tenantId)
      : and(eq(auditLog.tenantId, tenantId), lt(auditLog.id, options.before));
  const rows = await db
    .select({
      id: auditLog.id,
      actorType: auditLog.actorType,
      actorId: auditLog.actorId,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      ip: auditLog.ip,
      metadata: auditLog.metadata,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .where(where)
    .orderBy(desc(auditLog.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { rows: page, nextBefore: rows.length > options.limit && last ? last.id : null };
}
