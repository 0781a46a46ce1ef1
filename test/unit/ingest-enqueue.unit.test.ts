import { MAX_EVENT_BYTES, validateEvents } from '@pulsestream/core/event-schema';
import { jsonBytes } from '@pulsestream/core/ingest-pack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventLike, opts, validEvent } from '../../packages/core/src/event-schema.arbitraries';
import type { QueuedEvent } from '../../workers/consumers/messages';
import { ApiError } from '../../workers/lib/errors';
import type { Admission, AdmissionReceipt } from '../../workers/lib/ingest/admission';
import {
  type AdmittedBatch,
  type EventsQueue,
  type IngestAnswer,
  partialAnswer,
  queueAndAnswer,
  queuedEventBytesAtMost,
  queuedEventsBytesAtMost,
} from '../../workers/lib/ingest/enqueue';
import { createLogger } from '../../workers/lib/logger';
import { queuedEvent } from '../helpers/queued-event';

const NOW = Date.UTC(2026, 10, 30, 12);
const RECEIPT: AdmissionReceipt = { day: '2026-11-30', month: '2026-11' };
const HEADERS = { 'RateLimit-Limit': '100', 'RateLimit-Remaining': '96', 'RateLimit-Reset': '1' };

function event(i: number, propertyBytes = 10): QueuedEvent {
  return queuedEvent(`00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, {
    timestamp: NOW,
    receivedAt: NOW,
    properties: { pad: 'x'.repeat(propertyBytes) },
  });
}

/**
 * A batch of `n` valid events at request indexes 1, 3, 5, … (index 0 was invalid). Events of ~100 KB take a
 * queue message each, and two messages fill a `sendBatch` call, so four such events need two calls.
 */
function batch(n: number, idempotencyKey: string | undefined, propertyBytes = 10): AdmittedBatch {
  const events = Array.from({ length: n }, (_, i) => event(i, propertyBytes));
  const answer: IngestAnswer = {
    accepted: n,
    rejected: [{ index: 0, errors: [{ path: 'status', message: 'bad' }] }],
    ids: events.map((e) => e.id),
  };
  return {
    tenantId: '00000000-0000-4000-8000-000000000001',
    events,
    answer,
    answerText: JSON.stringify(answer),
    validIndexes: events.map((_, i) => 2 * i + 1),
    bytes: 4000,
    idempotencyKey,
    now: NOW,
  };
}

/** Admission as the queue path sees it, recording what it was asked. */
function fakeAdmission() {
  const calls: { release: unknown[][]; commit: string[] } = { release: [], commit: [] };
  const admission: Admission = {
    admit: () => Promise.reject(new Error('not called on this path')),
    refuse: () => Promise.reject(new Error('not called on this path')),
    release: async (...args) => {
      calls.release.push(args);
    },
    commit: async (key) => {
      calls.commit.push(key);
    },
  };
  return { admission, calls };
}

/** A queue whose calls succeed until `failFrom` (0-based call number), recording what it was sent. */
function fakeQueue(failFrom = Number.POSITIVE_INFINITY) {
  const sent: { body: { events: QueuedEvent[]; v?: number; tenantId: string } }[][] = [];
  let call = 0;
  const queue: EventsQueue = {
    sendBatch: async (messages) => {
      if (call++ >= failFrom) throw new Error('queue unavailable');
      sent.push([...messages] as (typeof sent)[number]);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    },
  };
  return { queue, sent };
}

function deps(queue: EventsQueue, admission: Admission, waited: Promise<unknown>[]) {
  return { queue, admission, logger: createLogger('error'), waitUntil: (p: Promise<unknown>) => waited.push(p) };
}

describe('queueAndAnswer: all sent', () => {
  it('answers 202 with the answer and confirms the Idempotency-Key after it', async () => {
    const { admission, calls } = fakeAdmission();
    const { queue, sent } = fakeQueue();
    const waited: Promise<unknown>[] = [];
    const b = batch(3, 'order-1');
    const res = await queueAndAnswer(deps(queue, admission, waited), RECEIPT, HEADERS, b);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe(b.answerText);
    expect(res.headers.get('RateLimit-Remaining')).toBe('96');
    expect(sent.flat().flatMap((m) => m.body.events.map((e) => e.id))).toEqual(b.answer.ids);
    expect(sent.flat().every((m) => m.body.v === 1 && m.body.tenantId === b.tenantId)).toBe(true);
    await Promise.all(waited);
    expect(calls.commit).toEqual(['order-1']);
    expect(calls.release).toEqual([]);
  });
});

describe('queueAndAnswer: the queue fails', () => {
  it('answers 503, acknowledges nothing, gives the whole charge back and forgets the Idempotency-Key', async () => {
    const { admission, calls } = fakeAdmission();
    const { queue, sent } = fakeQueue(0);
    const waited: Promise<unknown>[] = [];
    const error = await queueAndAnswer(deps(queue, admission, waited), RECEIPT, HEADERS, batch(3, 'order-2')).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ApiError);
    const problem = error as ApiError;
    expect(problem.code).toBe('unavailable');
    expect(problem.status).toBe(503);
    expect(problem.headers).toMatchObject({ 'Retry-After': '5', 'RateLimit-Remaining': '96' });
    expect(sent).toEqual([]);
    expect(calls.release).toEqual([[RECEIPT, 3, 4000, { key: 'order-2' }]]);
    expect(calls.commit).toEqual([]);
    expect(waited).toEqual([]);
  });

  it('without an Idempotency-Key, gives the charge back and has no key to forget', async () => {
    const { admission, calls } = fakeAdmission();
    const { queue } = fakeQueue(0);
    await expect(queueAndAnswer(deps(queue, admission, []), RECEIPT, HEADERS, batch(2, undefined))).rejects.toThrow(
      /pipeline is unavailable/,
    );
    expect(calls.release).toEqual([[RECEIPT, 2, 4000, undefined]]);
  });
});

describe('queueAndAnswer: partial acceptance', () => {
  it('accepts what reached the queue, lists the rest for retry, and stores that answer under the key', async () => {
    const { admission, calls } = fakeAdmission();
    const { queue, sent } = fakeQueue(1);
    const waited: Promise<unknown>[] = [];
    const b = batch(4, 'order-3', 100_000);
    const res = await queueAndAnswer(deps(queue, admission, waited), RECEIPT, HEADERS, b);
    // Two events made it (the first call); the second call failed.
    expect(sent).toHaveLength(1);
    const sentIds = sent.flat().flatMap((m) => m.body.events.map((e) => e.id));
    expect(sentIds).toEqual(b.answer.ids.slice(0, 2));
    expect(res.status).toBe(202);
    expect(res.headers.get('RateLimit-Remaining')).toBe('96');
    const text = await res.text();
    const body = JSON.parse(text) as IngestAnswer;
    expect(body.accepted).toBe(2);
    expect(body.ids).toEqual(sentIds);
    expect(body.rejected.map((r) => r.index)).toEqual([0, 5, 7]);
    expect(body.rejected[1]?.errors[0]?.message).toMatch(/pipeline is unavailable; retry this event/);
    // The unsent half's charge is given back, and the partial answer replaces the stored one.
    expect(calls.release).toEqual([[RECEIPT, 2, 2000, { key: 'order-3', response: { status: 202, body: text } }]]);
    expect(calls.commit).toEqual([]);
    expect(waited).toEqual([]);
  });

  it('partialAnswer keeps the invalid events and orders every rejection by index', () => {
    const answer: IngestAnswer = {
      accepted: 3,
      rejected: [{ index: 2, errors: [{ path: 'source', message: 'missing' }] }],
      ids: ['a', 'b', 'c'],
    };
    expect(partialAnswer(answer, [0, 1, 3], 1)).toEqual({
      accepted: 1,
      rejected: [
        { index: 1, errors: [{ path: '', message: 'the pipeline is unavailable; retry this event' }] },
        { index: 2, errors: [{ path: 'source', message: 'missing' }] },
        { index: 3, errors: [{ path: '', message: 'the pipeline is unavailable; retry this event' }] },
      ],
      ids: ['a'],
    });
  });
});

describe('queuedEventBytesAtMost', () => {
  it('bounds the JSON of the largest events validateEvents accepts, once normalised and enriched', () => {
    const geo = { country: 'DE', region: 'Nordrhein-Westfalen', city: 'Köln "Süd"\\', colo: 'FRA', asn: 4294967295 };
    const bound = queuedEventBytesAtMost(geo);
    // Inputs that grow when normalised: no id, a short date string, no type, only the required fields, and
    // properties padded until the input is at the size limit (ASCII, multibyte and escaped padding).
    const inputs = ['x', '€', '\n', '😀'].map((pad) => {
      const base = { source: ' s ', timestamp: '2026-11-30T12:00:00Z', properties: { p: '' } };
      const fill = MAX_EVENT_BYTES - jsonBytes(base);
      const unit = jsonBytes(pad) - 2;
      return { ...base, properties: { p: pad.repeat(Math.floor(fill / unit)) } };
    });
    inputs.push({ source: 's' } as (typeof inputs)[number]);
    for (const input of inputs) expect(jsonBytes(input)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const { valid, rejected, validJsonBytes } = validateEvents(inputs, {
      now: NOW,
      retentionDays: 400,
      generateId: () => '0192f3a4-0000-7000-8000-000000000000',
    });
    expect(rejected).toEqual([]);
    expect(valid).toHaveLength(inputs.length);
    const noGeo = { country: null, region: null, city: null, colo: null, asn: null };
    expect(validJsonBytes).toEqual(inputs.map((input) => jsonBytes(input)));
    for (const [i, e] of valid.entries()) {
      const enriched = jsonBytes({ ...e, receivedAt: NOW, ...geo } satisfies QueuedEvent);
      expect(enriched).toBeLessThanOrEqual(bound);
      expect(enriched).toBeLessThanOrEqual(queuedEventBytesAtMost(geo, validJsonBytes[i]));
      const tight = jsonBytes({ ...e, receivedAt: NOW, ...noGeo } satisfies QueuedEvent);
      expect(tight).toBeLessThanOrEqual(queuedEventBytesAtMost(noGeo));
    }
    // And the bound is not vacuous: it lets a single event skip measuring.
    expect(bound).toBeLessThan(60 * 1024);
  });
});

describe('queuedEventsBytesAtMost', () => {
  const geo = { country: 'US', region: 'California', city: 'San José', colo: 'SJC', asn: 13335 };

  it('bounds the JSON of every batch validateEvents accepts, from the sizes it measured (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validEvent, eventLike), { maxLength: 30 }), (items) => {
        const { valid, validJsonBytes } = validateEvents(items, opts);
        expect(validJsonBytes).toHaveLength(valid.length);
        const enriched = valid.map((e) => ({ ...e, receivedAt: opts.now, ...geo }) satisfies QueuedEvent);
        enriched.forEach((e, i) => {
          expect(jsonBytes(e)).toBeLessThanOrEqual(queuedEventBytesAtMost(geo, validJsonBytes[i]));
        });
        // The whole events array of one message: each event, the commas and the brackets (n - 1 + 2 bytes).
        if (valid.length > 0)
          expect(jsonBytes(enriched)).toBeLessThanOrEqual(
            queuedEventsBytesAtMost(geo, validJsonBytes) + valid.length + 1,
          );
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('lets a typical 100-event batch skip measuring: its bound fits one queue message', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      source: 'stripe',
      endpoint: 'POST /v1/charges',
      status: 200,
      latencyMs: 120 + i,
      properties: { region: 'eu', attempt: 1 },
    }));
    const { validJsonBytes } = validateEvents(items, opts);
    expect(queuedEventsBytesAtMost(geo, validJsonBytes) + items.length + 1).toBeLessThan(100 * 1024);
  });
});
