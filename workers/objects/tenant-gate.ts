import { DurableObject } from 'cloudflare:workers';
import { type BucketConfig, type BucketState, fullBucket, peek, tryTake } from '@pulsestream/core/token-bucket';
import { describeFailure, openDb, recordApiKeyUses, upsertUsageTotals } from '@pulsestream/db';
import { parseConfig } from '../lib/config';
import { createLogger } from '../lib/logger';

/** What the gate knows about one API key: enough to admit or refuse without the database. */
export interface GateKey {
  keyId: string;
  keyHash: string;
  scopes: string[];
  revoked: boolean;
}

/** Limits the gate enforces, from the tenant's plan (passed by the Worker, which caches the plan). */
export interface GateLimits {
  /** Tenant bucket: events per second refilled, and capacity (burst). */
  ratePerSec: number;
  burst: number;
  /** Per-key bucket; defaults to the tenant's limits. */
  keyRatePerSec?: number;
  keyBurst?: number;
  monthlyQuota: number;
}

/** The response a request will get if admitted, stored for `Idempotency-Key` replays. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** One admission request: exactly one of these per ingest HTTP request. */
export interface AdmitRequest {
  tenantId: string;
  keyHash: string;
  scope: string;
  /** The key as the Worker just read it from the database; stored when the gate has never heard of it. */
  knownKey?: GateKey | undefined;
  limits: GateLimits;
  /** Valid events to charge. 0 = only check the key and report the limits (the request is refused anyway). */
  events: number;
  /** Events refused at the edge (validation), counted as rejected in usage. */
  rejected: number;
  /** Decompressed body bytes, counted in usage when admitted. */
  bytes: number;
  idempotency?: { key: string; bodyHash: string; response: StoredResponse } | undefined;
}

/** Values for the RateLimit-* headers: the tighter of the tenant and key buckets. */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export type AdmitResult =
  | { outcome: 'admitted'; rateLimit: RateLimitInfo; day: string; month: string }
  | { outcome: 'checked'; rateLimit: RateLimitInfo }
  | { outcome: 'replay'; response: StoredResponse; rateLimit: RateLimitInfo }
  | { outcome: 'unknown_key' }
  | { outcome: 'revoked' }
  | { outcome: 'forbidden'; scope: string }
  | { outcome: 'rate_limited'; limit: 'tenant' | 'key'; retryAfterSeconds: number; rateLimit: RateLimitInfo }
  | { outcome: 'quota_exceeded'; quota: number; retryAfterSeconds: number; rateLimit: RateLimitInfo }
  | { outcome: 'idempotency_mismatch'; rateLimit: RateLimitInfo }
  | { outcome: 'idempotency_in_progress'; rateLimit: RateLimitInfo };

/** Gives back what an admitted request was charged, when its queue send failed (in full or in part). */
export interface ReleaseRequest {
  keyHash: string;
  limits: GateLimits;
  events: number;
  bytes: number;
  day: string;
  month: string;
  /** The idempotency key to forget, or to store `response` under instead (partial acceptance). */
  idempotency?: { key: string; response?: StoredResponse | undefined } | undefined;
}

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

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An entry is written before the queue send and confirmed after it. If the confirmation is lost (the
 * Worker died after sending), the send resolved or failed long before this grace ends, so treat it as done.
 */
const IDEMPOTENCY_PENDING_GRACE_MS = 30_000;
/**
 * Buckets, quota and usage counters are written to SQLite at most this long after they change, by the alarm,
 * instead of on every request: a write on the request path would hold each response until storage confirms
 * it. The cost is bounded: a crash or deploy forgets at most this much of charges and counts.
 */
const PERSIST_DELAY_MS = 1_000;
/** Usage is flushed to Postgres this long after the first unflushed change: one write per tenant per period. */
const USAGE_FLUSH_DELAY_MS = 10_000;
const USAGE_FLUSH_RETRY_MAX_MS = 5 * 60_000;
/** Usage days kept in the gate after they were flushed (a month boundary plus slack). */
const USAGE_KEEP_DAYS = 40;
const DAY_MS = 86_400_000;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcMonth = (ms: number) => new Date(ms).toISOString().slice(0, 7);

function secondsToNextMonth(now: number): number {
  const d = new Date(now);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

/**
 * Per-tenant admission control: API key cache, token buckets, monthly quota and idempotency keys, in the
 * object's SQLite storage. One RPC per ingest request (`admit`); `release` and `commitIdempotency` happen only
 * on the failure path or off the latency path. Key create/revoke call `putKey` synchronously, so a revoked
 * key is refused from the next request on.
 *
 * `admit` runs without any `await`, so concurrent requests are admitted strictly one after another: the
 * buckets are exact under concurrency. The counters (buckets, quota, usage) are kept in memory and written
 * behind to SQLite within a second by the alarm, so a request waits for no storage write unless it carries an
 * Idempotency-Key (whose entry must be durable before the answer). The alarm also flushes usage to
 * `usage_daily`, and each key's last use to `api_keys.last_used_at`, so the ingest path never writes to
 * Postgres.
 */
export class TenantGate extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private flushFailures = 0;
  private nextFlushAt = 0;
  private alarmAt: number | null = null;
  // Counters live in memory and are written behind (see PERSIST_DELAY_MS): the object is single-threaded, so
  // memory is the exact state; SQLite keeps it across restarts.
  private readonly buckets = new Map<string, BucketState>();
  private readonly dirtyBuckets = new Set<string>();
  private readonly quota = new Map<string, number>();
  private readonly dirtyQuota = new Set<string>();
  private readonly usageDeltas = new Map<
    string,
    { accepted: number; rejected: number; rateLimited: number; bytes: number }
  >();
  /**
   * Key id → latest use (epoch ms) not yet written to Postgres. Memory only, flushed with usage: losing it
   * in a restart costs at most one flush period of "last used" accuracy, which does not justify a write.
   */
  private readonly keyUses = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_hash TEXT PRIMARY KEY,
      key_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS buckets (
      name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL
    )`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS quota (month TEXT PRIMARY KEY, used INTEGER NOT NULL)');
    this.sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
      pending INTEGER NOT NULL, created_at INTEGER NOT NULL
    )`);
    this.sql.exec('CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at)');
    this.sql.exec(`CREATE TABLE IF NOT EXISTS usage (
      day TEXT PRIMARY KEY, accepted INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
      rate_limited INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL DEFAULT 0, flushed_version INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Records a key (on create) or its revocation (on revoke). Idempotent; a revocation is never undone. */
  async putKey(key: GateKey): Promise<void> {
    this.storeKey(key);
  }

  /** The gate's copy of a key, or null when it has never heard of it. */
  async getKey(keyHash: string): Promise<GateKey | null> {
    return this.readKey(keyHash);
  }

  /**
   * Admits or refuses one ingest request, checking in this order: the key and its scope, the token buckets
   * (tenant, then key), the monthly quota, then the idempotency key (a different body → mismatch; the first
   * request still in flight → in progress). A completed replay is answered right after the key check. Charges the buckets, the quota and usage
   * only when the request is admitted, and only for `events`. A refused request consumes nothing.
   */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const now = Date.now();
    this.rememberTenant(req.tenantId);
    let key = this.readKey(req.keyHash);
    if (!key && req.knownKey && req.knownKey.keyHash === req.keyHash) {
      this.storeKey(req.knownKey);
      key = this.readKey(req.keyHash);
    }
    if (!key) return { outcome: 'unknown_key' };
    if (key.revoked) return { outcome: 'revoked' };
    this.noteKeyUse(key.keyId, now);
    if (!key.scopes.includes(req.scope)) return { outcome: 'forbidden', scope: req.scope };

    const tenantCfg = tenantBucket(req.limits);
    const keyCfg = keyBucket(req.limits);
    const tenantState = this.readBucket('tenant', tenantCfg, now);
    const keyState = this.readBucket(`key:${req.keyHash}`, keyCfg, now);
    const day = utcDay(now);
    const month = utcMonth(now);

    if (req.events === 0) {
      if (req.rejected > 0) this.addUsage(day, { rejected: req.rejected });
      return { outcome: 'checked', rateLimit: rateLimitOf(tenantCfg, tenantState, keyCfg, keyState, now) };
    }

    // A replay of a completed request accepts nothing new, so it needs no tokens and no quota: it is answered
    // before the limits, which would otherwise refuse a client's retry of a request it already paid for.
    const existing = req.idempotency ? this.readIdempotency(req.idempotency.key, now) : null;
    if (
      existing &&
      req.idempotency &&
      existing.body_hash === req.idempotency.bodyHash &&
      (existing.pending === 0 || now - existing.created_at >= IDEMPOTENCY_PENDING_GRACE_MS)
    ) {
      return {
        outcome: 'replay',
        response: { status: existing.status, body: existing.body },
        rateLimit: rateLimitOf(tenantCfg, tenantState, keyCfg, keyState, now),
      };
    }

    const tenantTake = tryTake(tenantState, tenantCfg, req.events, now);
    const keyTake = tryTake(keyState, keyCfg, req.events, now);
    if (!tenantTake.ok || !keyTake.ok) {
      this.addUsage(day, { rateLimited: req.events, rejected: req.rejected });
      const which = tenantTake.ok ? keyTake : tenantTake;
      return {
        outcome: 'rate_limited',
        limit: tenantTake.ok ? 'key' : 'tenant',
        retryAfterSeconds: Math.max(1, which.retryAfterSeconds),
        rateLimit: rateLimitOf(tenantCfg, tenantState, keyCfg, keyState, now),
      };
    }

    const used = this.quotaUsed(month);
    if (used + req.events > req.limits.monthlyQuota) {
      this.addUsage(day, { rateLimited: req.events, rejected: req.rejected });
      return {
        outcome: 'quota_exceeded',
        quota: req.limits.monthlyQuota,
        retryAfterSeconds: secondsToNextMonth(now),
        rateLimit: { ...rateLimitOf(tenantCfg, tenantState, keyCfg, keyState, now), remaining: 0 },
      };
    }

    if (existing && req.idempotency) {
      const rateLimit = rateLimitOf(tenantCfg, tenantState, keyCfg, keyState, now);
      if (existing.body_hash !== req.idempotency.bodyHash) return { outcome: 'idempotency_mismatch', rateLimit };
      return { outcome: 'idempotency_in_progress', rateLimit };
    }

    // Admitted: charge everything in one synchronous step.
    this.writeBucket('tenant', tenantTake.state);
    this.writeBucket(`key:${req.keyHash}`, keyTake.state);
    this.addQuota(month, req.events);
    this.addUsage(day, { accepted: req.events, rejected: req.rejected, bytes: req.bytes });
    if (req.idempotency) {
      this.sql.exec(
        `INSERT OR REPLACE INTO idempotency (key, body_hash, status, body, pending, created_at) VALUES (?, ?, ?, ?, 1, ?)`,
        req.idempotency.key,
        req.idempotency.bodyHash,
        req.idempotency.response.status,
        req.idempotency.response.body,
        now,
      );
    }
    return {
      outcome: 'admitted',
      day,
      month,
      rateLimit: rateLimitOf(tenantCfg, tenantTake.state, keyCfg, keyTake.state, now),
    };
  }

  /** Gives back the charge of an admitted request whose events were not (all) handed to the queue. */
  async release(req: ReleaseRequest): Promise<void> {
    const now = Date.now();
    if (req.events > 0) {
      for (const [name, cfg] of [
        ['tenant', tenantBucket(req.limits)],
        [`key:${req.keyHash}`, keyBucket(req.limits)],
      ] as const) {
        const state = this.readBucket(name, cfg, now);
        this.writeBucket(name, {
          tokens: Math.min(cfg.capacity, state.tokens + req.events),
          updatedAt: state.updatedAt,
        });
      }
      this.addQuota(req.month, -req.events);
      this.addUsage(req.day, { accepted: -req.events, bytes: -req.bytes });
    }
    if (req.idempotency) {
      if (req.idempotency.response) {
        this.sql.exec(
          'UPDATE idempotency SET status = ?, body = ?, pending = 0 WHERE key = ?',
          req.idempotency.response.status,
          req.idempotency.response.body,
          req.idempotency.key,
        );
      } else {
        this.sql.exec('DELETE FROM idempotency WHERE key = ?', req.idempotency.key);
      }
    }
  }

  /** Confirms that the response stored under an idempotency key was sent (its events are on the queue). */
  async commitIdempotency(key: string): Promise<void> {
    this.sql.exec('UPDATE idempotency SET pending = 0 WHERE key = ?', key);
  }

  /** The tenant's monthly usage as the gate counts it (admitted events). */
  async quotaUsage(month: string = utcMonth(Date.now())): Promise<number> {
    return this.quotaUsed(month);
  }

  /**
   * Writes unflushed usage days to `usage_daily` as cumulative totals (idempotent) and the keys' last uses
   * to `api_keys` (one statement), then forgets old days and expired idempotency keys. Key uses are
   * forgotten only once written, so a failed flush leaves them for the next. Called by the alarm; callable
   * directly (tests, operations).
   * @returns the number of days written.
   */
  async flushUsage(): Promise<number> {
    this.persist();
    const tenantId = this.tenantId();
    const rows = this.sql.exec<UsageRow>('SELECT * FROM usage WHERE version > flushed_version').toArray();
    // A snapshot: a use noted while the write is in flight is newer, and must survive the forgetting below.
    const uses = [...this.keyUses];
    if ((rows.length > 0 || uses.length > 0) && tenantId) {
      const config = parseConfig(this.env);
      if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not configured');
      const handle = openDb({ databaseUrl: config.DATABASE_URL, wsProxy: config.DB_WS_PROXY });
      try {
        await upsertUsageTotals(
          handle.db,
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
          handle.db,
          tenantId,
          uses.map(([keyId, at]) => ({ keyId, at: new Date(at) })),
        );
      } finally {
        await handle.close();
      }
      for (const [keyId, at] of uses) {
        if (this.keyUses.get(keyId) === at) this.keyUses.delete(keyId);
      }
      // Only the versions that were written: a change made while the write was in flight stays dirty.
      for (const r of rows) {
        this.sql.exec(
          'UPDATE usage SET flushed_version = ? WHERE day = ? AND flushed_version < ?',
          r.version,
          r.day,
          r.version,
        );
      }
    }
    const now = Date.now();
    this.sql.exec(
      'DELETE FROM usage WHERE day < ? AND version = flushed_version',
      utcDay(now - USAGE_KEEP_DAYS * DAY_MS),
    );
    this.sql.exec('DELETE FROM idempotency WHERE created_at < ?', now - IDEMPOTENCY_TTL_MS);
    return tenantId ? rows.length : 0;
  }

  /**
   * Persists the counters kept in memory, and every `USAGE_FLUSH_DELAY_MS` writes usage to Postgres (with
   * backoff while that fails). Re-arms itself while anything is left to persist or flush.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.persist();
    const now = Date.now();
    if (now >= this.nextFlushAt && this.hasUnflushed()) {
      try {
        await this.flushUsage();
        this.flushFailures = 0;
        this.nextFlushAt = Date.now() + USAGE_FLUSH_DELAY_MS;
      } catch (err) {
        this.flushFailures += 1;
        const delay = Math.min(USAGE_FLUSH_RETRY_MAX_MS, USAGE_FLUSH_DELAY_MS * 2 ** this.flushFailures);
        this.nextFlushAt = Date.now() + delay;
        createLogger('warn').warn('gate: usage flush failed', {
          tenant: this.tenantId(),
          error: describeFailure(err),
          retryInMs: delay,
        });
      }
    }
    if (this.hasUnflushed()) this.armAlarm(Math.max(Date.now() + PERSIST_DELAY_MS, this.nextFlushAt));
  }

  /** Writes the in-memory buckets, quota and usage deltas to SQLite in one transaction. */
  private persist(): void {
    if (this.dirtyBuckets.size === 0 && this.dirtyQuota.size === 0 && this.usageDeltas.size === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const name of this.dirtyBuckets) {
        const state = this.buckets.get(name);
        if (!state) continue;
        this.sql.exec(
          'INSERT OR REPLACE INTO buckets (name, tokens, updated_at) VALUES (?, ?, ?)',
          name,
          state.tokens,
          state.updatedAt,
        );
      }
      for (const month of this.dirtyQuota) {
        this.sql.exec('INSERT OR REPLACE INTO quota (month, used) VALUES (?, ?)', month, this.quota.get(month) ?? 0);
      }
      for (const [day, d] of this.usageDeltas) {
        this.sql.exec(
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

  private hasUnflushed(): boolean {
    if (this.usageDeltas.size > 0 || this.keyUses.size > 0) return true;
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM usage WHERE version > flushed_version').one().n > 0;
  }

  /** Arms the alarm for `at` unless it is already due sooner. One storage write per arming, not per request. */
  private armAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at).catch((err: Error) => {
      this.alarmAt = null;
      createLogger('warn').warn('gate: setAlarm failed', { error: err.message });
    });
  }

  /**
   * Remembers that a key was presented (known and not revoked) for the next usage flush. Arms the alarm as
   * any counter change does (the same arming an admitted request makes anyway, so no extra storage
   * operation); the alarm waits for the flush period before writing.
   */
  private noteKeyUse(keyId: string, now: number): void {
    if ((this.keyUses.get(keyId) ?? 0) >= now) return;
    this.keyUses.set(keyId, now);
    this.dirty();
  }

  /** Something changed in memory: persist it within `PERSIST_DELAY_MS`. */
  private dirty(): void {
    this.armAlarm(Date.now() + PERSIST_DELAY_MS);
  }

  private storeKey(key: GateKey): void {
    this.sql.exec(
      `INSERT INTO api_keys (key_hash, key_id, scopes, revoked) VALUES (?, ?, ?, ?)
       ON CONFLICT (key_hash) DO UPDATE SET key_id = excluded.key_id, scopes = excluded.scopes,
         revoked = max(api_keys.revoked, excluded.revoked)`,
      key.keyHash,
      key.keyId,
      JSON.stringify(key.scopes),
      key.revoked ? 1 : 0,
    );
  }

  private readKey(keyHash: string): GateKey | null {
    const row = this.sql
      .exec<{ key_hash: string; key_id: string; scopes: string; revoked: number }>(
        'SELECT key_hash, key_id, scopes, revoked FROM api_keys WHERE key_hash = ?',
        keyHash,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      keyHash: row.key_hash,
      keyId: row.key_id,
      scopes: JSON.parse(row.scopes) as string[],
      revoked: row.revoked === 1,
    };
  }

  private readBucket(name: string, cfg: BucketConfig, now: number): BucketState {
    const cached = this.buckets.get(name);
    if (cached) return cached;
    const row = this.sql
      .exec<{ tokens: number; updated_at: number }>('SELECT tokens, updated_at FROM buckets WHERE name = ?', name)
      .toArray()[0];
    const state = row ? { tokens: row.tokens, updatedAt: row.updated_at } : fullBucket(cfg, now);
    this.buckets.set(name, state);
    return state;
  }

  private writeBucket(name: string, state: BucketState): void {
    this.buckets.set(name, state);
    this.dirtyBuckets.add(name);
    this.dirty();
  }

  private quotaUsed(month: string): number {
    const cached = this.quota.get(month);
    if (cached !== undefined) return cached;
    const row = this.sql.exec<{ used: number }>('SELECT used FROM quota WHERE month = ?', month).toArray()[0];
    const used = row?.used ?? 0;
    this.quota.set(month, used);
    return used;
  }

  private addQuota(month: string, delta: number): void {
    this.quota.set(month, Math.max(0, this.quotaUsed(month) + delta));
    this.dirtyQuota.add(month);
    this.dirty();
  }

  private readIdempotency(key: string, now: number) {
    const row = this.sql
      .exec<{ body_hash: string; status: number; body: string; pending: number; created_at: number }>(
        'SELECT body_hash, status, body, pending, created_at FROM idempotency WHERE key = ?',
        key,
      )
      .toArray()[0];
    if (!row || now - row.created_at >= IDEMPOTENCY_TTL_MS) return null;
    return row;
  }

  private addUsage(
    day: string,
    delta: { accepted?: number; rejected?: number; rateLimited?: number; bytes?: number },
  ): void {
    const d = this.usageDeltas.get(day) ?? { accepted: 0, rejected: 0, rateLimited: 0, bytes: 0 };
    d.accepted += delta.accepted ?? 0;
    d.rejected += delta.rejected ?? 0;
    d.rateLimited += delta.rateLimited ?? 0;
    d.bytes += delta.bytes ?? 0;
    this.usageDeltas.set(day, d);
    this.dirty();
  }

  private rememberTenant(tenantId: string): void {
    if (this.cachedTenantId === tenantId) return;
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', 'tenant_id', tenantId);
    this.cachedTenantId = tenantId;
  }

  private cachedTenantId: string | undefined;

  private tenantId(): string | undefined {
    if (this.cachedTenantId) return this.cachedTenantId;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'tenant_id'").toArray()[0];
    this.cachedTenantId = row?.v;
    return this.cachedTenantId;
  }
}

function tenantBucket(limits: GateLimits): BucketConfig {
  return { capacity: limits.burst, refillPerSec: limits.ratePerSec };
}

function keyBucket(limits: GateLimits): BucketConfig {
  return { capacity: limits.keyBurst ?? limits.burst, refillPerSec: limits.keyRatePerSec ?? limits.ratePerSec };
}

function rateLimitOf(
  tenantCfg: BucketConfig,
  tenantState: BucketState,
  keyCfg: BucketConfig,
  keyState: BucketState,
  now: number,
): RateLimitInfo {
  const t = peek(tenantState, tenantCfg, now);
  const k = peek(keyState, keyCfg, now);
  const tighter = k.remaining < t.remaining ? { cfg: keyCfg, p: k } : { cfg: tenantCfg, p: t };
  return { limit: tighter.cfg.capacity, remaining: tighter.p.remaining, resetSeconds: tighter.p.resetSeconds };
}
