import { DurableObject } from 'cloudflare:workers';
import {
  decideAdmission,
  IDEMPOTENCY_TTL_MS,
  type IdempotencyEntry,
  keyBucketConfig,
  tenantBucketConfig,
} from '@pulsestream/core/admission';
import { describeFailure, findIngestKeyByHash } from '@pulsestream/db';
import { parseConfig } from '../../lib/config';
import { createLogger, type Logger, logLevelOf } from '../../lib/logger';
import { createServices, type Services } from '../../lib/services';
import { GateCounters } from './counters';
import type { AdmitRequest, AdmitResult, GateKey, ReleaseRequest, TenantGateRpc } from './types';
import { flushGateUsage } from './usage-flush';

export type * from './types';

/**
 * Counters are written to SQLite at most this long after they change, by the alarm, instead of on every
 * request (see GateCounters).
 */
const PERSIST_DELAY_MS = 1_000;
/** Usage is flushed to Postgres this long after the first unflushed change: one write per tenant per period. */
const USAGE_FLUSH_DELAY_MS = 10_000;
const USAGE_FLUSH_RETRY_MAX_MS = 5 * 60_000;
/** Usage days kept in the gate after they were flushed (a month boundary plus slack). */
const USAGE_KEEP_DAYS = 40;
/** A key the database did not know is not looked up again for this long (a stale directory entry's requests). */
const UNKNOWN_KEY_MEMO_MS = 10_000;
const DAY_MS = 86_400_000;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcMonth = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/**
 * Per-tenant admission control: API key cache, token buckets, monthly quota and idempotency keys, in the
 * object's SQLite storage. One RPC per ingest request (`admit`), decided by core's `decideAdmission`;
 * `release` and `commitIdempotency` happen only on the failure path or off the latency path. Key
 * create/revoke call `putKey` synchronously, so a revoked key is refused from the next request on.
 *
 * `admit` decides and charges without any `await` (only a key the gate never heard of is first read from the
 * database), so concurrent requests are admitted strictly one after another: the buckets are exact under
 * concurrency. The counters are written behind (`GateCounters`); idempotency entries are written before the
 * answer (they must survive). The alarm persists the counters, flushes usage to `usage_daily` and each key's
 * last use to `api_keys.last_used_at`, so the ingest path never writes to Postgres.
 */
export class TenantGate extends DurableObject<Env> implements TenantGateRpc {
  private readonly sql: SqlStorage;
  private readonly counters: GateCounters;
  private readonly log: Logger;
  private flushFailures = 0;
  private nextFlushAt = 0;
  private alarmAt: number | null = null;
  private cachedTenantId: string | undefined;
  private readonly unknownKeys = new Map<string, number>();
  private flushChain: Promise<unknown> = Promise.resolve();
  /**
   * The keys read or written so far, as stored: `api_keys` is written through (every write goes to SQLite
   * first, synchronously, then here), so this never holds what storage does not, and an admit reads no SQLite.
   */
  private readonly keys = new Map<string, GateKey>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.log = createLogger(logLevelOf(env.LOG_LEVEL), { component: 'tenant-gate' });
    this.counters = new GateCounters(ctx.storage, () => this.armAlarm(Date.now() + PERSIST_DELAY_MS));
    this.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_hash TEXT PRIMARY KEY,
      key_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
      pending INTEGER NOT NULL, created_at INTEGER NOT NULL
    )`);
    this.sql.exec('CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at)');
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
   * Admits or refuses one ingest request (the order of the checks is `decideAdmission`'s). A key the gate has
   * never heard of is taken from `knownKey` (the Worker's fresh database read) or else read from the database
   * here, so the Worker never calls twice. Charges the buckets, the quota and usage only when the request is
   * admitted, and only for `events`; a refused request consumes nothing.
   */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    this.rememberTenant(req.tenantId);
    let key = this.readKey(req.keyHash);
    if (!key && req.knownKey && req.knownKey.keyHash === req.keyHash) {
      this.storeKey(req.knownKey);
      key = this.readKey(req.keyHash);
    }
    if (!key) key = await this.learnKey(req.keyHash, req.tenantId);
    return this.decide(req, key);
  }

  /** Gives back the charge of an admitted request whose events were not (all) handed to the queue. */
  async release(req: ReleaseRequest): Promise<void> {
    const now = Date.now();
    if (req.events > 0) {
      for (const [name, cfg] of [
        ['tenant', tenantBucketConfig(req.limits)],
        [`key:${req.keyHash}`, keyBucketConfig(req.limits)],
      ] as const) {
        const state = this.counters.bucket(name, cfg, now);
        this.counters.setBucket(name, {
          tokens: Math.min(cfg.capacity, state.tokens + req.events),
          updatedAt: state.updatedAt,
        });
      }
      this.counters.addQuota(req.month, -req.events);
      this.counters.addUsage(req.day, { accepted: -req.events, bytes: -req.bytes });
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
    return this.counters.quotaUsed(month);
  }

  /**
   * Writes unflushed usage days to `usage_daily` and the keys' last uses to `api_keys` (see
   * `flushGateUsage`), then forgets old days and expired idempotency keys. Called by the alarm; callable
   * directly (tests, operations).
   * @returns the number of days written.
   */
  async flushUsage(): Promise<number> {
    // One flush at a time: usage_daily takes the totals as written, so an older flush must never land last.
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<number> {
    this.counters.persist();
    const tenantId = this.tenantId();
    const written = tenantId ? await flushGateUsage(this.sql, this.counters, tenantId, () => this.services()) : 0;
    const now = Date.now();
    this.sql.exec(
      'DELETE FROM usage WHERE day < ? AND version = flushed_version',
      utcDay(now - USAGE_KEEP_DAYS * DAY_MS),
    );
    this.sql.exec('DELETE FROM idempotency WHERE created_at < ?', now - IDEMPOTENCY_TTL_MS);
    return written;
  }

  /**
   * Persists the counters kept in memory, and every `USAGE_FLUSH_DELAY_MS` writes usage to Postgres (with
   * backoff while that fails). Re-arms itself while anything is left to persist or flush.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.counters.persist();
    const now = Date.now();
    if (now >= this.nextFlushAt && this.counters.hasUnflushed()) {
      try {
        await this.flushUsage();
        this.flushFailures = 0;
        this.nextFlushAt = Date.now() + USAGE_FLUSH_DELAY_MS;
      } catch (err) {
        this.flushFailures += 1;
        const delay = Math.min(USAGE_FLUSH_RETRY_MAX_MS, USAGE_FLUSH_DELAY_MS * 2 ** this.flushFailures);
        this.nextFlushAt = Date.now() + delay;
        this.log.warn('gate: usage flush failed', {
          tenant: this.tenantId(),
          error: describeFailure(err),
          retryInMs: delay,
        });
      }
    }
    if (this.counters.hasUnflushed()) this.armAlarm(Math.max(Date.now() + PERSIST_DELAY_MS, this.nextFlushAt));
  }

  /** Reads the state `decideAdmission` needs, decides, and applies the decision. Synchronous by design. */
  private decide(req: AdmitRequest, key: GateKey | null): AdmitResult {
    const now = Date.now();
    const tenantCfg = tenantBucketConfig(req.limits);
    const keyCfg = keyBucketConfig(req.limits);
    const keyBucketName = `key:${req.keyHash}`;
    const day = utcDay(now);
    const month = utcMonth(now);
    const counters = this.counters;
    const gate = this;
    // Read lazily: decideAdmission reads only what its order of checks reaches (a refused key reads no bucket).
    const decision = decideAdmission(
      {
        key,
        get tenantBucket() {
          return counters.bucket('tenant', tenantCfg, now);
        },
        get keyBucket() {
          return counters.bucket(keyBucketName, keyCfg, now);
        },
        get quotaUsed() {
          return counters.quotaUsed(month);
        },
        get idempotency() {
          return req.idempotency ? gate.readIdempotency(req.idempotency.key) : null;
        },
      },
      req,
      now,
    );
    if (key && !key.revoked) this.counters.noteKeyUse(key.keyId, now);
    switch (decision.outcome) {
      case 'admitted': {
        // Charge everything in one synchronous step.
        const { charge, usage, rateLimit } = decision;
        this.counters.setBucket('tenant', charge.tenantBucket);
        this.counters.setBucket(keyBucketName, charge.keyBucket);
        this.counters.addQuota(month, charge.events);
        this.counters.addUsage(day, usage);
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
        return { outcome: 'admitted', day, month, rateLimit };
      }
      case 'checked':
        if (decision.usage) this.counters.addUsage(day, decision.usage);
        return { outcome: 'checked', rateLimit: decision.rateLimit };
      case 'rate_limited': {
        const { usage, ...result } = decision;
        this.counters.addUsage(day, usage);
        return result;
      }
      case 'quota_exceeded': {
        const { usage, ...result } = decision;
        this.counters.addUsage(day, usage);
        return result;
      }
      default:
        return decision;
    }
  }

  /**
   * A key this gate never heard of (created before the gate existed, or its storage was reset): read it from
   * the database once and remember it. Null when the database does not know it for this tenant, or cannot
   * be read (the request is refused as an unknown key, as before a database outage ends).
   */
  private async learnKey(keyHash: string, tenantId: string): Promise<GateKey | null> {
    const memo = this.unknownKeys.get(keyHash);
    if (memo !== undefined && Date.now() - memo < UNKNOWN_KEY_MEMO_MS) return null;
    const svc = this.services();
    try {
      const found = await findIngestKeyByHash(svc.db(), keyHash);
      if (!found || found.tenantId !== tenantId) {
        this.unknownKeys.set(keyHash, Date.now());
        return null;
      }
      // A putKey (revocation) that arrived while the read was in flight wins: storeKey never un-revokes.
      this.storeKey({ keyHash, keyId: found.keyId, scopes: found.scopes, revoked: found.revoked });
      return this.readKey(keyHash);
    } catch (err) {
      this.log.warn('gate: key lookup failed', { tenant: tenantId, error: describeFailure(err) });
      return null;
    } finally {
      await svc.close();
    }
  }

  private services(): Services {
    return createServices(parseConfig(this.env), this.log);
  }

  /** Arms the alarm for `at` unless it is already due sooner. One storage write per arming, not per request. */
  private armAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at).catch((err: Error) => {
      this.alarmAt = null;
      this.log.warn('gate: setAlarm failed', { error: err.message });
    });
  }

  private storeKey(key: GateKey): void {
    // Forget the cached copy first: if the write throws, the next read comes from storage.
    this.keys.delete(key.keyHash);
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
    const cached = this.keys.get(keyHash);
    if (cached) return cached;
    const row = this.sql
      .exec<{ key_hash: string; key_id: string; scopes: string; revoked: number }>(
        'SELECT key_hash, key_id, scopes, revoked FROM api_keys WHERE key_hash = ?',
        keyHash,
      )
      .toArray()[0];
    if (!row) return null;
    const key: GateKey = {
      keyHash: row.key_hash,
      keyId: row.key_id,
      scopes: JSON.parse(row.scopes) as string[],
      revoked: row.revoked === 1,
    };
    this.keys.set(keyHash, key);
    return key;
  }

  private readIdempotency(key: string): IdempotencyEntry | null {
    const row = this.sql
      .exec<{ body_hash: string; status: number; body: string; pending: number; created_at: number }>(
        'SELECT body_hash, status, body, pending, created_at FROM idempotency WHERE key = ?',
        key,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      bodyHash: row.body_hash,
      status: row.status,
      body: row.body,
      pending: row.pending !== 0,
      createdAt: row.created_at,
    };
  }

  private rememberTenant(tenantId: string): void {
    if (this.cachedTenantId === tenantId) return;
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', 'tenant_id', tenantId);
    this.cachedTenantId = tenantId;
  }

  private tenantId(): string | undefined {
    if (this.cachedTenantId) return this.cachedTenantId;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'tenant_id'").toArray()[0];
    this.cachedTenantId = row?.v;
    return this.cachedTenantId;
  }
}
