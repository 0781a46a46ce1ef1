import type { UsageDelta } from '@pulsestream/core/admission';
import { type BucketConfig, type BucketState, fullBucket } from '@pulsestream/core/token-bucket';

/**
 * The gate's counters (token buckets, monthly quota, daily usage, keys' last uses), kept in memory and
 * written behind to the object's SQLite. The object is single-threaded, so memory is the exact state; SQLite
 * keeps it across restarts. A write on the request path would hold each answer until storage confirms it, so
 * the caller persists within a second (its alarm) instead; a crash forgets at most that much.
 */
export class GateCounters {
  private readonly buckets = new Map<string, BucketState>();
  private readonly dirtyBuckets = new Set<string>();
  private readonly quota = new Map<string, number>();
  private readonly dirtyQuota = new Set<string>();
  private readonly usageDeltas = new Map<string, UsageDelta>();
  /**
   * Key id → latest use (epoch ms) not yet written to Postgres. Memory only, flushed with usage: losing it
   * in a restart costs at most one flush period of "last used" accuracy, which does not justify a write.
   */
  readonly keyUses = new Map<string, number>();

  /** @param changed called on every change, so the owner persists within its delay. */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly changed: () => void,
  ) {
    const sql = storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS buckets (
      name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL
    )`);
    sql.exec('CREATE TABLE IF NOT EXISTS quota (month TEXT PRIMARY KEY, used INTEGER NOT NULL)');
    sql.exec(`CREATE TABLE IF NOT EXISTS usage (
      day TEXT PRIMARY KEY, accepted INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
      rate_limited INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL DEFAULT 0, flushed_version INTEGER NOT NULL DEFAULT 0
    )`);
  }

  bucket(name: string, cfg: BucketConfig, now: number): BucketState {
    const cached = this.buckets.get(name);
    if (cached) return cached;
    const row = this.storage.sql
      .exec<{ tokens: number; updated_at: number }>('SELECT tokens, updated_at FROM buckets WHERE name = ?', name)
      .toArray()[0];
    const state = row ? { tokens: row.tokens, updatedAt: row.updated_at } : fullBucket(cfg, now);
    this.buckets.set(name, state);
    return state;
  }

  setBucket(name: string, state: BucketState): void {
    this.buckets.set(name, state);
    this.dirtyBuckets.add(name);
    this.changed();
  }

  quotaUsed(month: string): number {
    const cached = this.quota.get(month);
    if (cached !== undefined) return cached;
    const row = this.storage.sql.exec<{ used: number }>('SELECT used FROM quota WHERE month = ?', month).toArray()[0];
    const used = row?.used ?? 0;
    this.quota.set(month, used);
    return used;
  }

  addQuota(month: string, delta: number): void {
    this.quota.set(month, Math.max(0, this.quotaUsed(month) + delta));
    this.dirtyQuota.add(month);
    this.changed();
  }

  addUsage(day: string, delta: Partial<UsageDelta>): void {
    let d = this.usageDeltas.get(day);
    if (!d) {
      d = { accepted: 0, rejected: 0, rateLimited: 0, bytes: 0 };
      this.usageDeltas.set(day, d);
    }
    d.accepted += delta.accepted ?? 0;
    d.rejected += delta.rejected ?? 0;
    d.rateLimited += delta.rateLimited ?? 0;
    d.bytes += delta.bytes ?? 0;
    this.changed();
  }

  /** Remembers that a key was presented (known and not revoked) for the next usage flush. */
  noteKeyUse(keyId: string, now: number): void {
    if ((this.keyUses.get(keyId) ?? 0) >= now) return;
    this.keyUses.set(keyId, now);
    this.changed();
  }

  /** Writes the in-memory buckets, quota and usage deltas to SQLite in one transaction. */
  persist(): void {
    if (this.dirtyBuckets.size === 0 && this.dirtyQuota.size === 0 && this.usageDeltas.size === 0) return;
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      for (const name of this.dirtyBuckets) {
        const state = this.buckets.get(name);
        if (!state) continue;
        sql.exec(
          'INSERT OR REPLACE INTO buckets (name, tokens, updated_at) VALUES (?, ?, ?)',
          name,
          state.tokens,
          state.updatedAt,
        );
      }
      for (const month of this.dirtyQuota) {
        sql.exec('INSERT OR REPLACE INTO quota (month, used) VALUES (?, ?)', month, this.quota.get(month) ?? 0);
      }
      for (const [day, d] of this.usageDeltas) {
        sql.exec(
          `INSERT INTO usage (day, accepted, rejected, rate_limited, bytes, version) VALUES (?, ?, ?, ?, ?, 1)
           ON CONFLICT (day) DO UPDATE SET accepted = accepted + excluded.accepted,
             rejected = rejected + excluded.rejected, rate_limited = rate_limited + excluded.rate_limited,
             bytes = bytes + excluded.bytes, version = version + 1`,
          day,
          d.accepted,
          d.rejected,
          d.rateLimited,
          d.bytes,
        );
      }
    });
    this.dirtyBuckets.clear();
    this.dirtyQuota.clear();
    this.usageDeltas.clear();
  }

  /** True while anything is left to persist or to flush to Postgres. */
  hasUnflushed(): boolean {
    if (this.usageDeltas.size > 0 || this.keyUses.size > 0) return true;
    return (
      this.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM usage WHERE version > flushed_version').one().n >
      0
    );
  }
}
