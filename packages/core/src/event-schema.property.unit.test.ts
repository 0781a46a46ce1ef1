// Property tests (fast-check) of the event schema, the edge's promise to storage: whatever a client sends,
// validation answers (never throws), accounts for every event exactly once, and accepts only events that
// PostgreSQL text and jsonb columns can hold (no NUL, no unpaired surrogate, numbers in the columns' ranges).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LATENCY_MS, splitEnvelope, validateEvents } from './event-schema';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const opts = { now: NOW, retentionDays: 30, generateId: () => 'generated-id' };

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', ''),
  fc.string({ maxLength: 12 }),
);
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('x\u0000y', '\ud800', 'a\udfffb', '\ud83d', '\u0001', '\u007f', ' ', '', '\ufeff'),
);
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, Number('12345678901234567890'), -0, 0.1),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const eventField = fc.constantFrom(
  'id',
  'timestamp',
  'type',
  'source',
  'endpoint',
  'method',
  'status',
  'latencyMs',
  'properties',
  '__proto__',
  'constructor',
);
const eventLike = fc.dictionary(eventField, hostileValue, { maxKeys: 9 });

/** A valid event, from which mutations start. */
const validEvent = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  timestamp: fc.integer({ min: NOW - 29 * 86_400_000, max: NOW + 86_000_000 }),
  type: fc.constantFrom('api_call', 'error', 'custom'),
  source: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
  endpoint: fc.stringMatching(/^(GET|POST) \/[a-z0-9/:]{0,40}$/),
  method: fc.constantFrom('GET', 'POST', 'delete'),
  status: fc.integer({ min: 100, max: 599 }),
  latencyMs: fc.double({ min: 0, max: MAX_LATENCY_MS, noNaN: true }),
  properties: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
});

describe('event schema (fast-check)', () => {
  it('never throws, and accounts for every event exactly once (valid or rejected, in order)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(eventLike, hostileValue), { maxLength: 20 }), (items) => {
        const r = validateEvents(items, opts);
        const seen = [...r.validIndexes, ...r.rejected.map((x) => x.index)].sort((a, b) => a - b);
        expect(seen).toEqual(items.map((_, i) => i));
        expect(r.valid.length).toBe(r.validIndexes.length);
        for (const rej of r.rejected) expect(rej.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('splitEnvelope never throws on any JSON body and answers 400 or 413 with a message when it refuses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileValue,
          fc.record({ events: hostileValue }),
          fc.json().map((j) => JSON.parse(j)),
        ),
        (body) => {
          const r = splitEnvelope(body);
          if ('error' in r) {
            expect([400, 413]).toContain(r.status);
            expect(r.error.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('a valid event stays valid and keeps its values through validation (ids, timestamps, strings unchanged)', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const r = validateEvents([event], opts);
        expect(r.rejected).toEqual([]);
        const v = r.valid[0];
        expect(v?.id).toBe(event.id);
        expect(v?.timestamp).toBe(event.timestamp);
        expect(v?.source).toBe(event.source);
        expect(v?.method).toBe(event.method.toUpperCase());
        expect(v?.properties).toEqual(event.properties);
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});
