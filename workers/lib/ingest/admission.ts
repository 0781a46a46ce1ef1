/**
 * Admission of an ingest request, as the routes see it: one interface, whatever decides (today the tenant's
 * TenantGate Durable Object, built in `workers/services/gate-admission.ts`; a fake in unit tests). Unkey
 * builds its rate limiter the same way (`pkg/ratelimit/interface.ts`). The refusal-to-problem mapping is here
 * too, so every ingest route answers a refusal with the same problem and headers.
 */
import type { AdmitResult, GateLimits, RateLimitInfo, StoredResponse } from '../../objects/tenant-gate/types';
import { ApiError, type ErrorCode, type FieldError } from '../errors';

/** What one request asks to be charged. */
export interface AdmissionCharge {
  /** Valid events to charge; 0 only checks the key (nothing to store). */
  events: number;
  /** Events refused at the edge, counted in usage. */
  rejected: number;
  /** Decompressed body bytes. */
  bytes: number;
  /** The Idempotency-Key, the body's hash, and the answer to store (pending until `commit`). */
  idempotency?: { key: string; bodyHash: string; response: StoredResponse } | undefined;
}

/** What an admitted request hands back to `release`: the day and month it was charged to. */
export interface AdmissionReceipt {
  day: string;
  month: string;
}

export type AdmissionOutcome =
  | { outcome: 'admitted'; headers: Record<string, string>; receipt: AdmissionReceipt }
  | { outcome: 'replay'; headers: Record<string, string>; response: StoredResponse }
  | { outcome: 'checked'; headers: Record<string, string> };

/** A refusal the edge decided (body, validation), before admission. */
export interface Refusal {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[] | undefined;
}

export interface Admission {
  /**
   * The request's one admission call: admitted, a replay of a stored answer, or (nothing to charge) checked.
   * Every refusal (key, scope, limits, quota, idempotency) is thrown as its problem, with RateLimit-* headers.
   */
  admit(charge: AdmissionCharge): Promise<AdmissionOutcome>;
  /**
   * Refuses a request the edge already judged. It still makes the request's one admission call, charging
   * nothing: the key is checked (a revoked key is 401, whatever its body), the refused events are counted in
   * usage, and the problem carries the RateLimit-* headers. Always throws.
   */
  refuse(refusal: Refusal, rejected: number): Promise<never>;
  /**
   * Gives back the charge of `events` (and `bytes`) of an admitted request whose queue send failed; forgets
   * its Idempotency-Key, or stores `response` under it (partial acceptance). Never throws.
   */
  release(
    receipt: AdmissionReceipt,
    events: number,
    bytes: number,
    idempotency: { key: string; response?: StoredResponse | undefined } | undefined,
  ): Promise<void>;
  /** Confirms the answer stored under an Idempotency-Key (its events are on the queue). Never throws. */
  commit(idempotencyKey: string): Promise<void>;
}

export function rateLimitHeadersOf(info: RateLimitInfo): Record<string, string> {
  return {
    'RateLimit-Limit': String(info.limit),
    'RateLimit-Remaining': String(info.remaining),
    'RateLimit-Reset': String(info.resetSeconds),
  };
}

/** The problem for every refusal the gate can give. */
export function admissionProblem(
  result: Exclude<AdmitResult, { outcome: 'admitted' | 'replay' | 'checked' }>,
  limits: GateLimits,
): ApiError {
  switch (result.outcome) {
    case 'unknown_key':
    case 'revoked':
      return new ApiError('unauthorized', 'The API key is unknown or revoked.');
    case 'forbidden':
      return new ApiError('forbidden', 'The API key lacks the "ingest" scope.');
    case 'rate_limited':
      return new ApiError(
        'rate_limited',
        result.limit === 'tenant'
          ? `The tenant's rate limit (${limits.ratePerSec} events/s, burst ${limits.burst}) is exhausted.`
          : `The API key's rate limit (${limits.keyRatePerSec ?? limits.ratePerSec} events/s, burst ${limits.keyBurst ?? limits.burst}) is exhausted.`,
        {
          headers: {
            ...rateLimitHeadersOf(result.rateLimit),
            'Retry-After': String(result.retryAfterSeconds),
            'RateLimit-Scope': result.limit,
          },
        },
      );
    case 'quota_exceeded':
      return new ApiError('quota_exceeded', `The monthly event quota (${result.quota}) is used up.`, {
        headers: {
          ...rateLimitHeadersOf(result.rateLimit),
          'Retry-After': String(result.retryAfterSeconds),
          'RateLimit-Scope': 'quota',
        },
      });
    case 'idempotency_mismatch':
      return new ApiError('unprocessable', 'This Idempotency-Key was already used with a different body.', {
        headers: rateLimitHeadersOf(result.rateLimit),
      });
    case 'idempotency_in_progress':
      return new ApiError('conflict', 'A request with this Idempotency-Key is still in progress.', {
        headers: { ...rateLimitHeadersOf(result.rateLimit), 'Retry-After': '1' },
      });
  }
}
