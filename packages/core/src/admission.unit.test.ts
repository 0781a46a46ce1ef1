import { describe, expect, it } from 'vitest';
import {
  type AdmissionRequest,
  type AdmissionState,
  decideAdmission,
  IDEMPOTENCY_PENDING_GRACE_MS,
  IDEMPOTENCY_TTL_MS,
  secondsToNextMonth,
} from './admission';
import { MAX_WAIT_SECONDS } from './token-bucket';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const limits = { ratePerSec: 0, burst: 100, monthlyQuota: 1000 };
const key = { keyId: 'k1', scopes: ['ingest'], revoked: false };

function state(over: Partial<AdmissionState> = {}): AdmissionState {
  return {
    key,
    tenantBucket: { tokens: 100, updatedAt: NOW },
    keyBucket: { tokens: 100, updatedAt: NOW },
    quotaUsed: 0,
    idempotency: null,
    ...over,
  };
}

function request(events: number, over: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { scope: 'ingest', limits, events, rejected: 0, bytes: events * 10, ...over };
}

const entry = (over: Partial<NonNullable<AdmissionState['idempotency']>> = {}) => ({
  bodyHash: 'h1',
  status: 202,
  body: '{"accepted":1}',
  pending: false,
  createdAt: NOW - 1000,
  ...over,
});

describe('decideAdmission: each refusal', () => {
  it('refuses a key the gate never heard of', () => {
    expect(decideAdmission(state({ key: null }), request(1), NOW)).toEqual({ outcome: 'unknown_key' });
  });

  it('refuses a revoked key', () => {
    expect(decideAdmission(state({ key: { ...key, revoked: true } }), request(1), NOW)).toEqual({
      outcome: 'revoked',
    });
  });

  it('refuses a key without the scope', () => {
    expect(decideAdmission(state({ key: { ...key, scopes: ['read'] } }), request(1), NOW)).toEqual({
      outcome: 'forbidden',
      scope: 'ingest',
    });
  });

  it('refuses over the tenant bucket, counting the events as rate limited', () => {
    const d = decideAdmission(state({ tenantBucket: { tokens: 5, updatedAt: NOW } }), request(6, { rejected: 2 }), NOW);
    expect(d).toEqual({
      outcome: 'rate_limited',
      limit: 'tenant',
      retryAfterSeconds: MAX_WAIT_SECONDS,
      rateLimit: { limit: 100, remaining: 5, resetSeconds: MAX_WAIT_SECONDS },
      usage: { accepted: 0, rejected: 2, rateLimited: 6, bytes: 0 },
    });
  });

  it('refuses over the key bucket, naming the key, with the wait its refill gives', () => {
    const d = decideAdmission(
      state({ keyBucket: { tokens: 2, updatedAt: NOW } }),
      request(6, { limits: { ...limits, keyRatePerSec: 2, keyBurst: 10 } }),
      NOW,
    );
    expect(d).toMatchObject({ outcome: 'rate_limited', limit: 'key', retryAfterSeconds: 2 });
    expect(d.outcome === 'rate_limited' && d.rateLimit).toEqual({ limit: 10, remaining: 2, resetSeconds: 4 });
  });

  it('refuses over the monthly quota, with Retry-After at the next month and remaining 0', () => {
    const d = decideAdmission(state({ quotaUsed: 995 }), request(6), NOW);
    expect(d).toEqual({
      outcome: 'quota_exceeded',
      quota: 1000,
      retryAfterSeconds: secondsToNextMonth(NOW),
      rateLimit: { limit: 100, remaining: 0, resetSeconds: 0 },
      usage: { accepted: 0, rejected: 0, rateLimited: 6, bytes: 0 },
    });
    expect(secondsToNextMonth(NOW)).toBe(12 * 3600);
    // Exactly at the quota is admitted.
    expect(decideAdmission(state({ quotaUsed: 994 }), request(6), NOW).outcome).toBe('admitted');
  });

  it('refuses an Idempotency-Key reused with another body (422)', () => {
    const d = decideAdmission(
      state({ idempotency: entry({ bodyHash: 'other' }) }),
      request(1, { idempotency: { key: 'k', bodyHash: 'h1' } }),
      NOW,
    );
    expect(d.outcome).toBe('idempotency_mismatch');
  });

  it('refuses an Idempotency-Key whose first request is still in flight (409)', () => {
    const d = decideAdmission(
      state({ idempotency: entry({ pending: true, createdAt: NOW - IDEMPOTENCY_PENDING_GRACE_MS + 1 }) }),
      request(1, { idempotency: { key: 'k', bodyHash: 'h1' } }),
      NOW,
    );
    expect(d.outcome).toBe('idempotency_in_progress');
  });
});

describe('decideAdmission: answers that are not refusals', () => {
  it('admits, charging both buckets, the quota and usage', () => {
    const d = decideAdmission(state({ keyBucket: { tokens: 50, updatedAt: NOW } }), request(30, { rejected: 3 }), NOW);
    expect(d).toEqual({
      outcome: 'admitted',
      rateLimit: { limit: 100, remaining: 20, resetSeconds: MAX_WAIT_SECONDS },
      usage: { accepted: 30, rejected: 3, rateLimited: 0, bytes: 300 },
      charge: {
        tenantBucket: { tokens: 70, updatedAt: NOW },
        keyBucket: { tokens: 20, updatedAt: NOW },
        events: 30,
      },
    });
  });

  it('only checks a request with nothing to charge, counting its refused events', () => {
    expect(decideAdmission(state(), request(0, { rejected: 4 }), NOW)).toEqual({
      outcome: 'checked',
      rateLimit: { limit: 100, remaining: 100, resetSeconds: 0 },
      usage: { accepted: 0, rejected: 4, rateLimited: 0, bytes: 0 },
    });
    expect(decideAdmission(state(), request(0), NOW)).toMatchObject({ outcome: 'checked', usage: null });
  });

  it('replays a completed request', () => {
    const d = decideAdmission(
      state({ idempotency: entry() }),
      request(1, { idempotency: { key: 'k', bodyHash: 'h1' } }),
      NOW,
    );
    expect(d).toEqual({
      outcome: 'replay',
      response: { status: 202, body: '{"accepted":1}' },
      rateLimit: { limit: 100, remaining: 100, resetSeconds: 0 },
    });
  });

  it('replays a pending entry once the grace has passed (its confirmation was lost)', () => {
    const d = decideAdmission(
      state({ idempotency: entry({ pending: true, createdAt: NOW - IDEMPOTENCY_PENDING_GRACE_MS }) }),
      request(1, { idempotency: { key: 'k', bodyHash: 'h1' } }),
      NOW,
    );
    expect(d.outcome).toBe('replay');
  });

  it('forgets an entry older than the TTL: the key is admitted as new', () => {
    const d = decideAdmission(
      state({ idempotency: entry({ bodyHash: 'other', createdAt: NOW - IDEMPOTENCY_TTL_MS }) }),
      request(1, { idempotency: { key: 'k', bodyHash: 'h1' } }),
      NOW,
    );
    expect(d.outcome).toBe('admitted');
  });

  it('ignores a stored entry when the request carries no Idempotency-Key', () => {
    expect(decideAdmission(state({ idempotency: entry() }), request(1), NOW).outcome).toBe('admitted');
  });
});

describe('decideAdmission: the order of the checks', () => {
  // A state that fails every check at once; each step below repairs one check, so the next one answers.
  const failing: AdmissionState = state({
    key: null,
    tenantBucket: { tokens: 0, updatedAt: NOW },
    keyBucket: { tokens: 0, updatedAt: NOW },
    quotaUsed: 1000,
    idempotency: entry({ pending: true }),
  });
  const req = request(5, { idempotency: { key: 'k', bodyHash: 'h1' } });

  it('key → revoked → scope → buckets (tenant, key) → quota → idempotency', () => {
    const steps: Array<[Partial<AdmissionState>, string]> = [
      [{}, 'unknown_key'],
      [{ key: { ...key, revoked: true, scopes: [] } }, 'revoked'],
      [{ key: { ...key, scopes: [] } }, 'forbidden'],
      [{ key }, 'rate_limited:tenant'],
      [{ tenantBucket: { tokens: 100, updatedAt: NOW } }, 'rate_limited:key'],
      [{ keyBucket: { tokens: 100, updatedAt: NOW } }, 'quota_exceeded'],
      [{ quotaUsed: 0 }, 'idempotency_in_progress'],
      [{ idempotency: null }, 'admitted'],
    ];
    let s = failing;
    for (const [repair, expected] of steps) {
      s = { ...s, ...repair };
      const d = decideAdmission(s, req, NOW);
      expect(d.outcome === 'rate_limited' ? `rate_limited:${d.limit}` : d.outcome).toBe(expected);
    }
  });

  it('answers a replay after the scope check and before the buckets and the quota', () => {
    const exhausted = { ...failing, key, idempotency: entry() };
    expect(decideAdmission(exhausted, req, NOW).outcome).toBe('replay');
    expect(decideAdmission({ ...exhausted, key: { ...key, scopes: ['read'] } }, req, NOW).outcome).toBe('forbidden');
    expect(decideAdmission({ ...exhausted, key: { ...key, revoked: true } }, req, NOW).outcome).toBe('revoked');
  });

  it('checks the key and scope of a request with nothing to charge, and nothing else', () => {
    expect(decideAdmission({ ...failing, key }, request(0), NOW).outcome).toBe('checked');
    expect(decideAdmission(failing, request(0), NOW).outcome).toBe('unknown_key');
    expect(decideAdmission({ ...failing, key: { ...key, scopes: [] } }, request(0), NOW).outcome).toBe('forbidden');
  });

  it('reports a body mismatch only after the limits, so a refused retry costs nothing', () => {
    const mismatch = { ...failing, key, idempotency: entry({ bodyHash: 'other' }) };
    expect(decideAdmission(mismatch, req, NOW).outcome).toBe('rate_limited');
    expect(
      decideAdmission(
        {
          ...mismatch,
          tenantBucket: { tokens: 100, updatedAt: NOW },
          keyBucket: { tokens: 100, updatedAt: NOW },
          quotaUsed: 0,
        },
        req,
        NOW,
      ).outcome,
    ).toBe('idempotency_mismatch');
  });
});

describe('decideAdmission: reads only what the order reaches', () => {
  it('reads no bucket, quota or idempotency entry for a refused key, and the entry at most once', () => {
    const reads: string[] = [];
    const lazy = (over: Partial<AdmissionState>): AdmissionState => {
      const s = state(over);
      return {
        key: s.key,
        get tenantBucket() {
          reads.push('tenantBucket');
          return s.tenantBucket;
        },
        get keyBucket() {
          reads.push('keyBucket');
          return s.keyBucket;
        },
        get quotaUsed() {
          reads.push('quotaUsed');
          return s.quotaUsed;
        },
        get idempotency() {
          reads.push('idempotency');
          return s.idempotency;
        },
      };
    };
    const req = request(1, { idempotency: { key: 'k', bodyHash: 'h1' } });
    expect(decideAdmission(lazy({ key: { ...key, revoked: true } }), req, NOW).outcome).toBe('revoked');
    expect(decideAdmission(lazy({ key: { ...key, scopes: [] } }), req, NOW).outcome).toBe('forbidden');
    expect(reads).toEqual([]);
    expect(decideAdmission(lazy({ idempotency: entry({ pending: true }) }), req, NOW).outcome).toBe(
      'idempotency_in_progress',
    );
    expect(reads.filter((r) => r === 'idempotency')).toHaveLength(1);
  });
});
