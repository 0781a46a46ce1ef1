import { and, asc, eq, gte, lte, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { usageDaily } from '../schema';

/** One day of a tenant's ingestion accounting (cumulative totals for that UTC day). */
export interface UsageDay {
  /** YYYY-MM-DD (UTC) */
  day: string;
  accepted: number;
  rejected: number;
  rateLimited: number;
  bytes: number;
}

/**
 * Writes a tenant's per-day totals as absolute values. The TenantGate is the only writer of a tenant's
 * rows, flushes one at a time and always sends cumulative totals, so a flush that is repeated (because the
 * gate did not see the first one succeed) writes the same numbers again instead of adding them twice, and a
 * charge the gate gave back (its queue send failed) lowers them again even after a flush had written it.
 */
export async function upsertUsageTotals(db: Database, tenantId: string, days: UsageDay[]): Promise<void> {
  if (days.length === 0) return;
  const col = <T>(pick: (d: UsageDay) => T) => sql.param(days.map(pick));
  await db.execute(sql`
    INSERT INTO usage_daily AS u (tenant_id, day, accepted, rejected, rate_limited, bytes)
    SELECT ${tenantId}::uuid, t.day, t.accepted, t.rejected, t.rate_limited, t.bytes
    FROM unnest(${col((d) => d.day)}::date[], ${col((d) => d.accepted)}::bigint[], ${col((d) => d.rejected)}::bigint[],
                ${col((d) => d.rateLimited)}::bigint[], ${col((d) => d.bytes)}::bigint[])
      AS t(day, accepted, rejected, rate_limited, bytes)
    ON CONFLICT (tenant_id, day) DO UPDATE SET
      accepted = excluded.accepted, rejected = excluded.rejected,
      rate_limited = excluded.rate_limited, bytes = excluded.bytes`);
}

/** A tenant's usage rows for days in [fromDay, toDay] (YYYY-MM-DD, inclusive), oldest first. */
export async function listUsageDays(
  db: Database,
  tenantId: string,
  fromDay: string,
  toDay: string,
): Promise<UsageDay[]> {
  return db
    .select({
      day: usageDaily.day,
      accepted: usageDaily.accepted,
      rejected: usageDaily.rejected,
      rateLimited: usageDaily.rateLimited,
      bytes: usageDaily.bytes,
    })
    .from(usageDaily)
    .where(and(eq(usageDaily.tenantId, tenantId), gte(usageDaily.day, fromDay), lte(usageDaily.day, toDay)))
    .orderBy(asc(usageDaily.day));
}

/** Events accepted for a tenant since `fromDay` (the first day of the month, for the quota). */
export async function sumAcceptedSince(db: Database, tenantId: string, fromDay: string): Promise<number> {
  const rows = await db
    .select({ used: sql<string>`coalesce(sum(${usageDaily.accepted}), 0)::text` })
    .from(usageDaily)
    .where(and(eq(usageDaily.tenantId, tenantId), gte(usageDaily.day, fromDay)));
  return Number(rows[0]?.used ?? 0);
}
