// Property tests (fast-check) of the event schema's promise to storage (issue 9): it accepts only events that
// PostgreSQL text and jsonb columns can hold (no NUL, no unpaired surrogate, numbers in the columns' ranges),
// and refuses a poisoned one with a path naming the field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, MAX_LATENCY_MS, validateEvents } from './event-schema';

import { eventLike, opts, validEvent } from './event-schema.arbitraries';

/** Every string in a value, keys included. */
function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* stringsIn(v);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield k;
      yield* stringsIn(v);
    }
  }
}

function* numbersIn(value: unknown): Generator<number> {
  if (typeof value === 'number') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* numbersIn(v);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) yield* numbersIn(v);
}

/** What PostgreSQL text and jsonb refuse: NUL anywhere, and UTF-16 that is not well formed. */
function storable(s: string): boolean {
  return !s.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

const INT4_MAX = 2 ** 31 - 1;

describe('event schema: only storable events pass (fast-check)', () => {
  it('accepts only what storage can hold: no NUL or unpaired surrogate in any string or key, numbers in range', () => {
    fc.assert(
      fc.property(fc.array(eventLike, { maxLength: 10 }), (items) => {
        const r = validateEvents(items, opts);
        for (const e of r.valid) {
          for (const s of stringsIn(e)) expect(storable(s), JSON.stringify(s)).toBe(true);
          for (const n of numbersIn(e.properties)) expect(Number.isFinite(n)).toBe(true);
          if (e.latencyMs !== null) expect(e.latencyMs >= 0 && e.latencyMs <= MAX_LATENCY_MS).toBe(true);
          if (e.status !== null) expect(Number.isInteger(e.status) && Math.abs(e.status) <= INT4_MAX).toBe(true);
          expect(Number.isSafeInteger(e.timestamp)).toBe(true);
          expect(new TextEncoder().encode(JSON.stringify(e)).length).toBeLessThanOrEqual(MAX_EVENT_BYTES + 4096);
        }
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('a NUL or an unpaired surrogate put into any string of a valid event gets it rejected, with a path naming the field', () => {
    const poison = fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d');
    fc.assert(
      fc.property(
        validEvent,
        fc.constantFrom('source', 'endpoint', 'properties.value', 'properties.key', 'properties.nested'),
        poison,
        fc.nat(),
        (event, where, bad, at) => {
          const e: Record<string, unknown> = structuredClone(event);
          const put = (s: string) => s.slice(0, at % (s.length + 1)) + bad + s.slice(at % (s.length + 1));
          let field: string = where;
          if (where === 'source' || where === 'endpoint') e[where] = put(String(e[where]));
          else if (where === 'properties.value') e.properties = { ...event.properties, p: put('value') };
          else if (where === 'properties.key') e.properties = { ...event.properties, [put('key')]: 1 };
          else e.properties = { deep: { list: ['ok', put('inner')] } };
          if (where.startsWith('properties')) field = 'properties';
          const r = validateEvents([e], opts);
          expect(r.valid).toEqual([]);
          const paths = r.rejected[0]?.errors.map((x) => x.path) ?? [];
          expect(paths.some((p) => p === field || p.startsWith(`${field}.`))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);
});
