import { DurableObject } from 'cloudflare:workers';

/** Failed logins allowed per key within {@link LOGIN_THROTTLE_WINDOW_MS}; the next attempt is refused. */
export const LOGIN_THROTTLE_MAX_FAILURES = 10;
/** Sliding window over which failures count. */
export const LOGIN_THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/**
 * Signups allowed per client address within the same window. Each costs a PBKDF2 hash (100k+ iterations),
 * so unthrottled parallel signups slow every other tenant's requests on the isolate.
 */
export const SIGNUP_THROTTLE_MAX = 20;

/** Outcome of {@link LoginThrottle.acquire}. */
export type ThrottleDecision = { ok: true; attemptId: number } | { ok: false; retryAfterSeconds: number };

/** The login throttle as callers see it; tests and other callers depend on this, not the class. */
export interface LoginThrottleApi {
  acquire(max?: number): Promise<ThrottleDecision>;
  release(attemptId: number): Promise<void>;
  reset(): Promise<void>;
  failures(): Promise<number>;
}

/**
 * Counts failed logins for one key (`email:<lowercased>` or `ip:<address>`), or signups for one address
 * (`signup:<address>`, never released), one object per key via
 * `getByName`. An attempt is counted *before* the password is checked (`acquire`) and un-counted on
 * success (`release`), so a burst of parallel guesses cannot all slip past a check-then-record race:
 * the object's input gate serialises `acquire`, and each call sees the attempts before it.
 */
export class LoginThrottle extends DurableObject<Env> implements LoginThrottleApi {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createTable();
  }

  /**
   * Counts one attempt, or refuses it when the window already holds the maximum. A refused attempt is not
   * counted, so a locked-out key unlocks when its oldest failure leaves the window.
   */
  async acquire(max = LOGIN_THROTTLE_MAX_FAILURES): Promise<ThrottleDecision> {
    const now = Date.now();
    this.prune(now);
    const rows = this.sql
      .exec<{ n: number; oldest: number | null }>('SELECT count(*) AS n, min(at) AS oldest FROM attempts')
      .toArray();
    const count = rows[0]?.n ?? 0;
    const oldest = rows[0]?.oldest ?? now;
    if (count >= max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + LOGIN_THROTTLE_WINDOW_MS - now) / 1000));
      return { ok: false, retryAfterSeconds };
    }
    const inserted = this.sql
      .exec<{ id: number }>('INSERT INTO attempts (at) VALUES (?) RETURNING id', now)
      .toArray()[0];
    await this.scheduleCleanup(now);
    return { ok: true, attemptId: inserted?.id ?? 0 };
  }

  /** Un-counts an attempt that turned out not to be a failure (a successful login). */
  async release(attemptId: number): Promise<void> {
    this.sql.exec('DELETE FROM attempts WHERE id = ?', attemptId);
  }

  /** Forgets every failure (an email's counter after a successful login). */
  async reset(): Promise<void> {
    this.sql.exec('DELETE FROM attempts');
  }

  /** Failures currently inside the window. */
  async failures(): Promise<number> {
    this.prune(Date.now());
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM attempts').toArray()[0]?.n ?? 0;
  }

  /** Drops expired rows so an idle key leaves no storage behind. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.prune(now);
    const left = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM attempts').toArray()[0]?.n ?? 0;
    if (left === 0) {
      await this.ctx.storage.deleteAll();
      // deleteAll drops the table too, and this instance may serve the next attempt without being rebuilt.
      this.createTable();
    } else {
      await this.ctx.storage.setAlarm(now + LOGIN_THROTTLE_WINDOW_MS);
    }
  }

  private createTable(): void {
    this.sql.exec('CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL)');
  }

  private prune(now: number): void {
    this.sql.exec('DELETE FROM attempts WHERE at <= ?', now - LOGIN_THROTTLE_WINDOW_MS);
  }

  private async scheduleCleanup(now: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + LOGIN_THROTTLE_WINDOW_MS);
  }
}
