import { recordApiKeyUses, upsertUsageTotals } from '@pulsestream/db';
import type { Services } from '../../lib/services';
import type { GateCounters } from './counters';

/** A day of usage as the gate keeps it: cumulative totals. */
type UsageRow = {
  day: string;
  accepted: number;
  rejected: number;
  rate_limited: number;
  bytes: number;
  version: number;
  flushed_version: number;
};

/**
 * Writes the gate's unflushed usage days to `usage_daily` as cumulative totals (idempotent: a repeated flush
 * writes the same numbers again) and the keys' last uses to `api_keys`, through the same services as every
 * other database user. Key uses are forgotten only once written, so a failed flush leaves them for the next.
 * @returns the number of days written.
 */
export async function flushGateUsage(
  sql: SqlStorage,
  counters: GateCounters,
  tenantId: string,
  services: () => Services,
): Promise<number> {
  counters.persist();
  const rows = sql.exec<UsageRow>('SELECT * FROM usage WHERE version > flushed_version').toArray();
  // A snapshot: a use noted while the write is in flight is newer, and must survive the forgetting below.
  const uses = [...counters.keyUses];
  if (rows.length === 0 && uses.length === 0) return 0;
  const svc = services();
  try {
    const db = svc.db();
    await upsertUsageTotals(
      db,
      tenantId,
      rows.map((r) => ({
        day: r.day,
        accepted: Math.max(0, r.accepted),
        rejected: r.rejected,
        rateLimited: r.rate_limited,
        bytes: Math.max(0, r.bytes),
      })),
    );
    await recordApiKeyUses(
      db,
      tenantId,
      uses.map(([keyId, at]) => ({ keyId, at: new Date(at) })),
    );
  } finally {
    await svc.close();
  }
  for (const [keyId, at] of uses) {
    if (counters.keyUses.get(keyId) === at) counters.keyUses.delete(keyId);
  }
  // Only the versions that were written: a change made while the write was in flight stays dirty.
  for (const r of rows) {
    sql.exec('UPDATE usage SET flushed_version = ? WHERE day = ? AND flushed_version < ?', r.version, r.day, r.version);
  }
  return rows.length;
}
