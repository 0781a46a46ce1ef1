/**
 * The ingest paths that depend on timing or on the queue failing: an Idempotency-Key still in progress (409),
 * a pending entry whose confirmation was lost (replayed after the grace), and the queue failing in full or in
 * part, against the real TenantGate (the queue through the `sendBatch` seam).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { IDEMPOTENCY_PENDING_GRACE_MS } from '@pulsestream/core/admission';
import { sha256Hex } from '@pulsestream/core/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../workers/consumers/messages';
import type { EventsQueue } from '../../workers/lib/ingest/enqueue';
import { queueAndAnswer } from '../../workers/lib/ingest/enqueue';
import { createLogger } from '../../workers/lib/logger';
import type { TenantGate } from '../../workers/objects/tenant-gate';
import type { TenantGateRpc } from '../../workers/objects/tenant-gate/types';
import { GateAdmission } from '../../workers/services/gate-admission';
import { truncateAll } from '../helpers/db';
import { createIngestTenant, type IngestTenant, postEvents, sampleEvent } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

const BURST = 10;
const limits = { ratePerSec: 0, burst: BURST, monthlyQuota: 10_000_000 };

async function newTenant(): Promise<IngestTenant> {
  return createIngestTenant({ rateLimitPerSec: 0, rateLimitBurst: BURST });
}

/** Admits `events` for the tenant's key directly at its gate, leaving the Idempotency-Key pending. */
async function admitPending(t: IngestTenant, key: string, body: string, events: number, stored: string) {
  const result = await env.TENANT_GATE.getByName(t.tenantId).admit({
    tenantId: t.tenantId,
    keyHash: t.keyHash,
    scope: 'ingest',
    limits,
    events,
    rejected: 0,
    bytes: body.length,
    idempotency: { key, bodyHash: await sha256Hex(body), response: { status: 202, body: stored } },
  });
  expect(result.outcome).toBe('admitted');
}

function admissionFor(t: IngestTenant): GateAdmission {
  return new GateAdmission(env.TENANT_GATE, createLogger('error'), t.keyHash, {
    key: {
      keyId: t.keyId,
      tenantId: t.tenantId,
      scopes: ['ingest', 'read'],
      revoked: false,
      lastUsedAt: null,
      plan: { retentionDays: 30, monthlyEventQuota: 10_000_000, rateLimitPerSec: 0, rateLimitBurst: BURST },
    },
    fresh: false,
  });
}

function queuedEvent(i: number, padBytes: number): QueuedEvent {
  return {
    id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    timestamp: Date.now(),
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 10,
    country: null,
    region: null,
    city: null,
    colo: null,
    asn: null,
    properties: { pad: 'x'.repeat(padBytes) },
  };
}

/** A queue failing from call `failFrom` on; ~100 KB events take a message each, two messages a call. */
function failingQueue(failFrom: number): EventsQueue {
  let call = 0;
  return {
    sendBatch: async () => {
      if (call++ >= failFrom) throw new Error('queue unavailable');
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    },
  };
}

async function sendThrough(t: IngestTenant, queue: EventsQueue, n: number, key: string) {
  const admission = admissionFor(t);
  const admitted = await admission.admit({
    events: n,
    rejected: 0,
    bytes: n * 1000,
    idempotency: { key, bodyHash: 'body-hash', response: { status: 202, body: '{"accepted":4}' } },
  });
  if (admitted.outcome !== 'admitted') throw new Error(`expected admitted, got ${admitted.outcome}`);
  const events = Array.from({ length: n }, (_, i) => queuedEvent(i, 100_000));
  const answer = { accepted: n, rejected: [], ids: events.map((e) => e.id) };
  const deps = { queue, admission, logger: createLogger('error'), waitUntil: () => undefined };
  return queueAndAnswer(deps, admitted.receipt, admitted.headers, {
    tenantId: t.tenantId,
    events,
    answer,
    answerText: JSON.stringify(answer),
    validIndexes: events.map((_, i) => i),
    bytes: n * 1000,
    idempotencyKey: key,
    now: Date.now(),
  }).then(
    (res) => ({ res, error: null }),
    (error: unknown) => ({ res: null, error }),
  );
}

describe('POST /v1/events: an Idempotency-Key still in progress', () => {
  it('answers 409 with Retry-After while the first request is in flight, charging nothing', async () => {
    const t = await newTenant();
    const body = JSON.stringify(sampleEvent());
    await admitPending(t, 'k-409', body, 1, '{"accepted":1,"rejected":[],"ids":["first"]}');
    const res = await postEvents(t.key, body, { 'idempotency-key': 'k-409' });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toBe('https://pulsestream.dev/errors/conflict');
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(res.headers.get('RateLimit-Remaining')).toBe(String(BURST - 1));
    expect(await env.TENANT_GATE.getByName(t.tenantId).quotaUsage()).toBe(1);
  });

  it('replays a pending entry once the grace has passed (the confirmation was lost), charging nothing', async () => {
    const t = await newTenant();
    const body = JSON.stringify(sampleEvent({ status: 201 }));
    const stored = '{"accepted":1,"rejected":[],"ids":["0190aaaa-0000-7000-8000-000000000001"]}';
    await admitPending(t, 'k-lost', body, 1, stored);
    // Within the grace the entry is still in progress.
    expect((await postEvents(t.key, body, { 'idempotency-key': 'k-lost' })).status).toBe(409);
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    await runInDurableObject(gate, (_: TenantGate, state) => {
      state.storage.sql.exec(
        'UPDATE idempotency SET created_at = ? WHERE key = ?',
        Date.now() - IDEMPOTENCY_PENDING_GRACE_MS - 1,
        'k-lost',
      );
    });
    const res = await postEvents(t.key, body, { 'idempotency-key': 'k-lost' });
    expect(res.status).toBe(202);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(await res.text()).toBe(stored);
    expect(await gate.quotaUsage()).toBe(1);
  });
});

describe('the queue fails, against the real gate', () => {
  it('nothing sent: 503, the charge given back and the Idempotency-Key forgotten, so a retry is admitted', async () => {
    const t = await newTenant();
    const { error } = await sendThrough(t, failingQueue(0), 4, 'k-down');
    expect(error).toMatchObject({ code: 'unavailable', status: 503 });
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    expect(await gate.quotaUsage()).toBe(0);
    const retry = await admissionFor(t).admit({
      events: 4,
      rejected: 0,
      bytes: 4000,
      idempotency: { key: 'k-down', bodyHash: 'body-hash', response: { status: 202, body: '{}' } },
    });
    // Admitted anew (not 409, not a replay), with the whole bucket back.
    expect(retry.outcome).toBe('admitted');
    expect(retry.headers['RateLimit-Remaining']).toBe(String(BURST - 4));
  });

  it('part sent: 202 with the partial answer, stored under the key and replayed at once', async () => {
    const t = await newTenant();
    const { res } = await sendThrough(t, failingQueue(1), 4, 'k-half');
    expect(res?.status).toBe(202);
    const text = (await res?.text()) ?? '';
    expect(JSON.parse(text)).toMatchObject({ accepted: 2, rejected: [{ index: 2 }, { index: 3 }] });
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    expect(await gate.quotaUsage()).toBe(2);
    const retry = await admissionFor(t).admit({
      events: 4,
      rejected: 0,
      bytes: 4000,
      idempotency: { key: 'k-half', bodyHash: 'body-hash', response: { status: 202, body: '{}' } },
    });
    expect(retry.outcome === 'replay' && retry.response).toEqual({ status: 202, body: text });
    expect(retry.headers['RateLimit-Remaining']).toBe(String(BURST - 2));
  });
});

describe('POST /v1/events: a gate that lost its copy of the key', () => {
  it('is admitted in one call: the gate reads the key from the database itself', async () => {
    const t = await newTenant();
    // The first request puts the key in this isolate's directory; the second reaches the gate with no copy.
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);
    const gate = env.TENANT_GATE.getByName(t.tenantId);
    await runInDurableObject(gate, (instance: TenantGate, state) => {
      state.storage.sql.exec('DELETE FROM api_keys');
      // The gate keeps the keys it read in memory (written through): a gate that lost its storage lost those too.
      (instance as unknown as { keys: Map<string, unknown> }).keys.clear();
    });
    expect(await gate.getKey(t.keyHash)).toBeNull();
    const res = await postEvents(t.key, JSON.stringify(sampleEvent()));
    expect(res.status).toBe(202);
    expect(res.headers.get('RateLimit-Remaining')).toBe(String(BURST - 2));
    expect(await gate.getKey(t.keyHash)).toMatchObject({ keyId: t.keyId, revoked: false });
  });
});

describe('GateAdmission: one call per request', () => {
  it('admits a key its gate never heard of with one admit call, and refuses with one call', async () => {
    const t = await createIngestTenant({ rateLimitPerSec: 0, rateLimitBurst: BURST, skipGate: true });
    const calls: string[] = [];
    const counting = {
      getByName(name: string): TenantGateRpc {
        const stub = env.TENANT_GATE.getByName(name);
        const count = <T>(call: string, result: T): T => {
          calls.push(call);
          return result;
        };
        return {
          putKey: (key) => count('putKey', stub.putKey(key)),
          getKey: (hash) => count('getKey', stub.getKey(hash)),
          admit: (req) => count('admit', stub.admit(req)),
          release: (req) => count('release', stub.release(req)),
          commitIdempotency: (key) => count('commitIdempotency', stub.commitIdempotency(key)),
          quotaUsage: (month) => count('quotaUsage', stub.quotaUsage(month)),
          flushUsage: () => count('flushUsage', stub.flushUsage()),
        };
      },
    };
    const resolved = {
      key: {
        keyId: t.keyId,
        tenantId: t.tenantId,
        scopes: ['ingest', 'read'],
        revoked: false,
        lastUsedAt: null,
        plan: { retentionDays: 30, monthlyEventQuota: 10_000_000, rateLimitPerSec: 0, rateLimitBurst: BURST },
      },
      // A directory entry from an earlier request: the Worker has no fresh copy to teach the gate.
      fresh: false,
    };
    const admission = new GateAdmission(counting, createLogger('error'), t.keyHash, resolved);
    expect((await admission.admit({ events: 1, rejected: 0, bytes: 10 })).outcome).toBe('admitted');
    expect(calls).toEqual(['admit']);
    calls.length = 0;
    await expect(admission.refuse({ code: 'bad_request', detail: 'The body is empty.' }, 1)).rejects.toMatchObject({
      code: 'bad_request',
      headers: { 'RateLimit-Remaining': String(BURST - 1) },
    });
    expect(calls).toEqual(['admit']);
  });
});
