// Property tests (fast-check) of the event schema, the edge's promise to storage: whatever a client sends,
// validation answers (never throws), accounts for every event exactly once, and accepts only events that
// PostgreSQL text and jsonb columns can hold (no NUL, no unpaired surrogate, numbers in the columns' ranges).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitEnvelope, validateEvents } from './event-schema';

import { eventLike, hostileValue, opts, validEvent } from './event-schema.arbitraries';

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
