import type { IngestKey } from '@pulsestream/db';
import { ApiError } from '../lib/errors';
import {
  type Admission,
  type AdmissionCharge,
  type AdmissionOutcome,
  type AdmissionReceipt,
  admissionProblem,
  type Refusal,
  rateLimitHeadersOf,
} from '../lib/ingest/admission';
import type { ResolvedKey } from '../lib/ingest-keys';
import type { Logger } from '../lib/logger';
import type { AdmitResult, GateLimits, StoredResponse, TenantGateRpc } from '../objects/tenant-gate/types';

const RETRY_AFTER = '5';

/** Where the tenant's gate is reached: `env.TENANT_GATE` (or a fake namespace). */
export interface GateNamespace {
  getByName(name: string): TenantGateRpc;
}

/**
 * `Admission` by the tenant's TenantGate Durable Object: one `admit` RPC per request, whatever its outcome;
 * `release` only when the queue send failed; `commitIdempotency` only for a request with an Idempotency-Key,
 * after its send, off the answer's path. A key the gate has never heard of is taught in the same call
 * (`knownKey` when this request read it from the database, else the gate reads it itself).
 */
export class GateAdmission implements Admission {
  private readonly gate: TenantGateRpc;
  private readonly limits: GateLimits;

  constructor(
    namespace: GateNamespace,
    private readonly logger: Logger,
    private readonly keyHash: string,
    private readonly resolved: ResolvedKey,
  ) {
    this.gate = namespace.getByName(resolved.key.tenantId);
    this.limits = limitsOf(resolved.key);
  }

  async admit(charge: AdmissionCharge): Promise<AdmissionOutcome> {
    const result = await this.call(charge);
    switch (result.outcome) {
      case 'admitted':
        return {
          outcome: 'admitted',
          headers: rateLimitHeadersOf(result.rateLimit),
          receipt: { day: result.day, month: result.month },
        };
      case 'replay':
        return { outcome: 'replay', headers: rateLimitHeadersOf(result.rateLimit), response: result.response };
      case 'checked':
        return { outcome: 'checked', headers: rateLimitHeadersOf(result.rateLimit) };
      default:
        throw admissionProblem(result, this.limits);
    }
  }

  async refuse(refusal: Refusal, rejected: number): Promise<never> {
    // A gate that cannot be reached answers 503 (thrown by `call`): nothing, not even the key, was checked.
    const checked = await this.admit({ events: 0, rejected, bytes: 0 });
    throw new ApiError(refusal.code, refusal.detail, {
      ...(refusal.errors ? { errors: refusal.errors } : {}),
      headers: checked.headers,
    });
  }

  async release(
    receipt: AdmissionReceipt,
    events: number,
    bytes: number,
    idempotency: { key: string; response?: StoredResponse | undefined } | undefined,
  ): Promise<void> {
    try {
      await this.gate.release({
        keyHash: this.keyHash,
        limits: this.limits,
        events,
        bytes,
        day: receipt.day,
        month: receipt.month,
        idempotency,
      });
    } catch (err) {
      // Not releasing over-charges the tenant slightly; failing the request would be worse.
      this.logger.error('ingest: gate release failed', { error: (err as Error).message });
    }
  }

  async commit(idempotencyKey: string): Promise<void> {
    await this.gate.commitIdempotency(idempotencyKey).catch((err: Error) => {
      this.logger.warn('ingest: idempotency commit failed', { error: err.message });
    });
  }

  private async call(charge: AdmissionCharge): Promise<AdmitResult> {
    const key = this.resolved.key;
    try {
      return await this.gate.admit({
        tenantId: key.tenantId,
        keyHash: this.keyHash,
        scope: 'ingest',
        knownKey: this.resolved.fresh
          ? { keyHash: this.keyHash, keyId: key.keyId, scopes: key.scopes, revoked: key.revoked }
          : undefined,
        limits: this.limits,
        events: charge.events,
        rejected: charge.rejected,
        bytes: charge.bytes,
        idempotency: charge.idempotency,
      });
    } catch (err) {
      this.logger.error('ingest: gate call failed', { error: (err as Error).message });
      throw new ApiError('unavailable', 'Admission control is unavailable; nothing was accepted. Retry later.', {
        headers: { 'Retry-After': RETRY_AFTER },
      });
    }
  }
}

function limitsOf(key: IngestKey): GateLimits {
  return {
    ratePerSec: key.plan.rateLimitPerSec,
    burst: key.plan.rateLimitBurst,
    monthlyQuota: key.plan.monthlyEventQuota,
  };
}
