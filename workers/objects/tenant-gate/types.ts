/**
 * The TenantGate's RPC shapes. Callers (the ingest admission service, the api-keys routes, tests) import these
 * types, never the object's module: a route sees the gate only through `Admission` or these shapes.
 */
import type { AdmissionLimits, RateLimitInfo, StoredAnswer } from '@pulsestream/core/admission';

export type { RateLimitInfo } from '@pulsestream/core/admission';

/** What the gate knows about one API key: enough to admit or refuse without the database. */
export interface GateKey {
  keyId: string;
  keyHash: string;
  scopes: string[];
  revoked: boolean;
}

/** Limits the gate enforces, from the tenant's plan (passed by the Worker, which caches the plan). */
export type GateLimits = AdmissionLimits;

/** The response a request will get if admitted, stored for `Idempotency-Key` replays. */
export type StoredResponse = StoredAnswer;

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

/** The gate's RPC surface as callers use it (the stub of `TenantGate` satisfies it). */
export interface TenantGateRpc {
  putKey(key: GateKey): Promise<void>;
  getKey(keyHash: string): Promise<GateKey | null>;
  admit(req: AdmitRequest): Promise<AdmitResult>;
  release(req: ReleaseRequest): Promise<void>;
  commitIdempotency(key: string): Promise<void>;
  quotaUsage(month?: string): Promise<number>;
  flushUsage(): Promise<number>;
}
