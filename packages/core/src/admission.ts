/**
 * Admission of one ingest request, decided from the tenant's state: pure, with no storage and no clock of its
 * own. The TenantGate Durable Object reads the state, asks {@link decideAdmission}, and applies what the
 * decision charges; the order of the checks and every refusal are here, unit-tested in Node.
 *
 * Order: key → scope → (a request with nothing to charge is only checked) → replay of a completed
 * Idempotency-Key → token buckets (tenant, then key) → monthly quota → idempotency conflicts. A refused
 * request is charged nothing but its usage counts (refused events, rate-limited events).
 */
import { type BucketConfig, type BucketState, peek, tryTake } from './token-bucket';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An entry is written (pending) when its request is admitted and confirmed once its events are on the queue.
 * If the confirmation is lost (the Worker died after sending), the send resolved or failed long before this
 * grace ends, so a pending entry this old is treated as done and replayed.
 */
export const IDEMPOTENCY_PENDING_GRACE_MS = 30_000;

/** What the gate knows about one API key. */
export interface AdmissionKey {
  keyId: string;
  scopes: readonly string[];
  revoked: boolean;
}

/** Limits from the tenant's plan. */
export interface AdmissionLimits {
  /** Tenant bucket: events per second refilled, and capacity (burst). */
  ratePerSec: number;
  burst: number;
  /** Per-key bucket; defaults to the tenant's limits. */
  keyRatePerSec?: number;
  keyBurst?: number;
  monthlyQuota: number;
}

/** A response stored under an Idempotency-Key. */
export interface StoredAnswer {
  status: number;
  body: string;
}

/** An Idempotency-Key entry as stored. */
export interface IdempotencyEntry extends StoredAnswer {
  bodyHash: string;
  pending: boolean;
  createdAt: number;
}

/**
 * The tenant's state a decision reads. The fields may be getters that read storage: a decision reads a field
 * only once its checks reach it (a refused key reads no bucket), and reads `idempotency` at most once.
 */
export interface AdmissionState {
  /** The presented key, or null when the gate has never heard of it. */
  key: AdmissionKey | null;
  tenantBucket: BucketState;
  keyBucket: BucketState;
  /** Events admitted this month. */
  quotaUsed: number;
  /** The entry stored under the request's Idempotency-Key, if any (expired or not). */
  idempotency: IdempotencyEntry | null;
}

export interface AdmissionRequest {
  scope: string;
  limits: AdmissionLimits;
  /** Valid events to charge. 0 = only check the key and report the limits (the request is refused anyway). */
  events: number;
  /** Events refused at the edge (validation), counted as rejected in usage. */
  rejected: number;
  /** Decompressed body bytes, counted in usage when admitted. */
  bytes: number;
  idempotency?: { key: string; bodyHash: string } | undefined;
}

/** Values for the RateLimit-* headers: the tighter of the tenant and key buckets. */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** Usage to count for the request's day. */
export interface UsageDelta {
  accepted: number;
  rejected: number;
  rateLimited: number;
  bytes: number;
}

/** What the caller writes when a request is admitted. */
export interface AdmissionCharge {
  tenantBucket: BucketState;
  keyBucket: BucketState;
  /** Events to add to the month's quota. */
  events: number;
}

export type AdmissionDecision =
  | { outcome: 'unknown_key' }
  | { outcome: 'revoked' }
  | { outcome: 'forbidden'; scope: string }
  | { outcome: 'checked'; rateLimit: RateLimitInfo; usage: UsageDelta | null }
  | { outcome: 'replay'; response: StoredAnswer; rateLimit: RateLimitInfo }
  | {
      outcome: 'rate_limited';
      limit: 'tenant' | 'key';
      retryAfterSeconds: number;
      rateLimit: RateLimitInfo;
      usage: UsageDelta;
    }
  | { outcome: 'quota_exceeded'; quota: number; retryAfterSeconds: number; rateLimit: RateLimitInfo; usage: UsageDelta }
  | { outcome: 'idempotency_mismatch'; rateLimit: RateLimitInfo }
  | { outcome: 'idempotency_in_progress'; rateLimit: RateLimitInfo }
  | { outcome: 'admitted'; rateLimit: RateLimitInfo; usage: UsageDelta; charge: AdmissionCharge };

/** The tenant bucket's parameters. */
export function tenantBucketConfig(limits: AdmissionLimits): BucketConfig {
  return { capacity: limits.burst, refillPerSec: limits.ratePerSec };
}

/** The key bucket's parameters (the tenant's unless the plan sets its own). */
export function keyBucketConfig(limits: AdmissionLimits): BucketConfig {
  return { capacity: limits.keyBurst ?? limits.burst, refillPerSec: limits.keyRatePerSec ?? limits.ratePerSec };
}

/** Seconds from `now` to the first instant of the next UTC month (at least 1): the quota's Retry-After. */
export function secondsToNextMonth(now: number): number {
  const d = new Date(now);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

/** True when an Idempotency-Key entry is still remembered at `now`. */
export function isLiveIdempotencyEntry(entry: { createdAt: number }, now: number): boolean {
  return now - entry.createdAt < IDEMPOTENCY_TTL_MS;
}

/**
 * Decides one request. Pure: the same state, request and instant give the same decision, and nothing is
 * written; an `admitted` decision carries the bucket states and events to charge.
 */
export function decideAdmission(state: AdmissionState, req: AdmissionRequest, now: number): AdmissionDecision {
  const key = state.key;
  if (!key) return { outcome: 'unknown_key' };
  if (key.revoked) return { outcome: 'revoked' };
  if (!key.scopes.includes(req.scope)) return { outcome: 'forbidden', scope: req.scope };

  const tenantCfg = tenantBucketConfig(req.limits);
  const keyCfg = keyBucketConfig(req.limits);
  if (req.events === 0) {
    return {
      outcome: 'checked',
      rateLimit: rateLimitOf(tenantCfg, state.tenantBucket, keyCfg, state.keyBucket, now),
      usage: req.rejected > 0 ? { accepted: 0, rejected: req.rejected, rateLimited: 0, bytes: 0 } : null,
    };
  }

  // A replay of a completed request accepts nothing new, so it needs no tokens and no quota: it is answered
  // before the limits, which would otherwise refuse a client's retry of a request it already paid for.
  const stored = req.idempotency ? state.idempotency : null;
  const existing = stored && isLiveIdempotencyEntry(stored, now) ? stored : null;
  const sameBody = existing !== null && existing.bodyHash === req.idempotency?.bodyHash;
  if (existing && sameBody && (!existing.pending || now - existing.createdAt >= IDEMPOTENCY_PENDING_GRACE_MS)) {
    return {
      outcome: 'replay',
      response: { status: existing.status, body: existing.body },
      rateLimit: rateLimitOf(tenantCfg, state.tenantBucket, keyCfg, state.keyBucket, now),
    };
  }

  const tenantTake = tryTake(state.tenantBucket, tenantCfg, req.events, now);
  const keyTake = tryTake(state.keyBucket, keyCfg, req.events, now);
  if (!tenantTake.ok || !keyTake.ok) {
    const which = tenantTake.ok ? keyTake : tenantTake;
    return {
      outcome: 'rate_limited',
      limit: tenantTake.ok ? 'key' : 'tenant',
      retryAfterSeconds: Math.max(1, which.retryAfterSeconds),
      rateLimit: rateLimitOf(tenantCfg, state.tenantBucket, keyCfg, state.keyBucket, now),
      usage: { accepted: 0, rejected: req.rejected, rateLimited: req.events, bytes: 0 },
    };
  }

  if (state.quotaUsed + req.events > req.limits.monthlyQuota) {
    return {
      outcome: 'quota_exceeded',
      quota: req.limits.monthlyQuota,
      retryAfterSeconds: secondsToNextMonth(now),
      rateLimit: { ...rateLimitOf(tenantCfg, state.tenantBucket, keyCfg, state.keyBucket, now), remaining: 0 },
      usage: { accepted: 0, rejected: req.rejected, rateLimited: req.events, bytes: 0 },
    };
  }

  if (existing) {
    const rateLimit = rateLimitOf(tenantCfg, state.tenantBucket, keyCfg, state.keyBucket, now);
    return sameBody
      ? { outcome: 'idempotency_in_progress', rateLimit }
      : { outcome: 'idempotency_mismatch', rateLimit };
  }

  return {
    outcome: 'admitted',
    rateLimit: rateLimitOf(tenantCfg, tenantTake.state, keyCfg, keyTake.state, now),
    usage: { accepted: req.events, rejected: req.rejected, rateLimited: 0, bytes: req.bytes },
    charge: { tenantBucket: tenantTake.state, keyBucket: keyTake.state, events: req.events },
  };
}

/** RateLimit-* values: the tighter of the two buckets. */
export function rateLimitOf(
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
