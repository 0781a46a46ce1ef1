import { describe, expect, it } from 'vitest';
import type { ValidateOptions } from './event-schema';
import {
  eventInputSchema,
  jsonDepth,
  MAX_BODY_BYTES,
  MAX_ERROR_PATH,
  MAX_ERRORS_PER_EVENT,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
  splitEnvelope,
  validateEvents,
} from './event-schema';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DAY = 86_400_000;

function options(overrides: Partial<ValidateOptions> = {}): ValidateOptions {
  let n = 0;
  return { now: NOW, retentionDays: 30, generateId: () => `gen-${++n}`, ...overrides };
}

/** An object nested `depth` levels deep: depth 1 = {leaf: 1}. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { child: value };
  return value;
}

function validateOne(item: unknown, opts = options()) {
  return validateEvents([item], opts);
}

function errorsOf(item: unknown, opts = options()) {
  const r = validateOne(item, opts);
  expect(r.valid).toHaveLength(0);
  return r.rejected[0]?.errors ?? [];
}

describe('jsonDepth', () => {
  it('measures nesting', () => {
    expect(jsonDepth(1, 8)).toBe(0);
    expect(jsonDepth(null, 8)).toBe(0);
    expect(jsonDepth({}, 8)).toBe(1);
    expect(jsonDepth([], 8)).toBe(1);
    expect(jsonDepth({ a: [1, { b: 2 }], c: 'x' }, 8)).toBe(3);
    expect(jsonDepth(nested(8), 8)).toBe(8);
  });

  it('stops at limit + 1 even for absurd depths', () => {
    expect(jsonDepth(nested(9), 8)).toBe(9);
    // Far deeper than any recursive walker's stack would allow.
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonDepth(deep, 8)).toBe(9);
  });

  it('stops at the limit on cyclic input', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(jsonDepth(a, 8)).toBe(9);
  });
});

describe('splitEnvelope', () => {
  it('wraps a single event', () => {
    const event = { source: 'stripe' };
    expect(splitEnvelope(event)).toEqual({ events: [event] });
  });

  it('unwraps {events}', () => {
    const events = [{ source: 'a' }, { source: 'b' }];
    const r = splitEnvelope({ events });
    expect(r).toEqual({ events });
  });

  it('refuses bare arrays and primitives with a clear message', () => {
    const arr = splitEnvelope([{ source: 'a' }]);
    expect(arr).toMatchObject({ status: 400 });
    expect('error' in arr && arr.error).toMatch(/bare JSON array/);
    for (const body of [null, 42, 'text', true, undefined]) {
      const r = splitEnvelope(body);
      expect(r).toMatchObject({ status: 400 });
      expect('error' in r && r.error).toMatch(/JSON object/);
    }
  });

  it('refuses empty, non-array and over-long event lists, the latter with 413', () => {
    expect(splitEnvelope({ events: [] })).toEqual({ error: '"events" must not be empty', status: 400 });
    expect(splitEnvelope({ events: { source: 'a' } })).toMatchObject({ status: 400 });
    expect(splitEnvelope({ events: [], extra: 1 })).toMatchObject({ status: 400 });
    const max = Array.from({ length: MAX_EVENTS_PER_REQUEST }, () => ({ source: 'a' }));
    expect(splitEnvelope({ events: max })).toEqual({ events: max });
    const tooMany = splitEnvelope({ events: [...max, { source: 'b' }] });
    expect(tooMany).toMatchObject({ status: 413 });
    expect('error' in tooMany && tooMany.error).toMatch(/1001/);
  });
});

describe('validateEvents: normalization', () => {
  it('applies defaults to a minimal event', () => {
    const r = validateOne({ source: 'stripe' });
    expect(r.rejected).toEqual([]);
    expect(r.validIndexes).toEqual([0]);
    expect(r.valid[0]).toEqual({
      id: 'gen-1',
      timestamp: NOW,
      type: 'api_call',
      source: 'stripe',
      endpoint: null,
      method: null,
      status: null,
      latencyMs: null,
      properties: null,
    });
  });

  it('keeps a full event and upper-cases the method', () => {
    const r = validateOne({
      id: 'evt_01:a.b-c',
      timestamp: '2025-06-01T11:59:00.250Z',
      type: 'error',
      source: 'openai',
      endpoint: 'POST /v1/chat/completions',
      method: 'post',
      status: 502,
      latencyMs: 1234.5,
      properties: { model: 'x', tokens: [1, 2] },
    });
    expect(r.valid[0]).toEqual({
      id: 'evt_01:a.b-c',
      timestamp: Date.parse('2025-06-01T11:59:00.250Z'),
      type: 'error',
      source: 'openai',
      endpoint: 'POST /v1/chat/completions',
      method: 'POST',
      status: 502,
      latencyMs: 1234.5,
      properties: { model: 'x', tokens: [1, 2] },
    });
  });

  it('accepts epoch ms and ISO with an offset as the same instant', () => {
    const epoch = validateOne({ source: 's', timestamp: NOW - 3_600_000 }).valid[0];
    const iso = validateOne({ source: 's', timestamp: '2025-06-01T13:00:00+02:00' }).valid[0];
    expect(epoch?.timestamp).toBe(NOW - 3_600_000);
    expect(iso?.timestamp).toBe(NOW - 3_600_000);
  });

  it('treats null optional fields as absent', () => {
    const r = validateOne({ source: 's', id: null, timestamp: null, status: null, latencyMs: null, properties: null });
    expect(r.valid[0]).toMatchObject({ id: 'gen-1', timestamp: NOW, status: null, properties: null });
  });

  it('trims the source', () => {
    expect(validateOne({ source: '  stripe ' }).valid[0]?.source).toBe('stripe');
  });
});

describe('validateEvents: rejections', () => {
  it('rejects wrong types with dotted paths', () => {
    const errors = errorsOf({ source: 42, status: '200', latencyMs: -1, type: 'click', method: 'GET /x' });
    const paths = errors.map((e) => e.path).sort();
    expect(paths).toEqual(['latencyMs', 'method', 'source', 'status', 'type']);
  });

  it('requires source', () => {
    expect(errorsOf({ endpoint: '/x' })).toEqual([{ path: 'source', message: expect.any(String) }]);
    expect(errorsOf({ source: '   ' })[0]?.path).toBe('source');
    expect(errorsOf({ source: 'x'.repeat(129) })[0]?.path).toBe('source');
    expect(errorsOf({ source: 'a\nb' })[0]?.message).toMatch(/control/);
  });

  it('bounds status, latency, endpoint, method and id', () => {
    expect(errorsOf({ source: 's', status: 99 })[0]?.path).toBe('status');
    expect(errorsOf({ source: 's', status: 600 })[0]?.path).toBe('status');
    expect(errorsOf({ source: 's', status: 200.5 })[0]?.path).toBe('status');
    expect(validateOne({ source: 's', status: 100 }).valid).toHaveLength(1);
    expect(validateOne({ source: 's', status: 599 }).valid).toHaveLength(1);
    expect(errorsOf({ source: 's', latencyMs: 3_600_001 })[0]?.path).toBe('latencyMs');
    expect(validateOne({ source: 's', latencyMs: 0 }).valid).toHaveLength(1);
    expect(errorsOf({ source: 's', endpoint: 'x'.repeat(513) })[0]?.path).toBe('endpoint');
    expect(errorsOf({ source: 's', method: 'M'.repeat(17) })[0]?.path).toBe('method');
    expect(errorsOf({ source: 's', id: 'x'.repeat(65) })[0]?.path).toBe('id');
    expect(errorsOf({ source: 's', id: '' })[0]?.path).toBe('id');
    expect(errorsOf({ source: 's', id: 'has space' })[0]?.path).toBe('id');
    expect(errorsOf({ source: 's', id: 'é' })[0]?.path).toBe('id');
    expect(validateOne({ source: 's', id: 'x'.repeat(64) }).valid).toHaveLength(1);
  });

  it('rejects properties that are not a JSON object', () => {
    expect(errorsOf({ source: 's', properties: [1, 2] })[0]?.path).toBe('properties');
    expect(errorsOf({ source: 's', properties: 'text' })[0]?.path).toBe('properties');
  });

  it('rejects unknown top-level keys one by one', () => {
    expect(errorsOf({ source: 's', latency: 5, userId: 'u' })).toEqual([
      { path: 'latency', message: 'unknown field' },
      { path: 'userId', message: 'unknown field' },
    ]);
  });

  it('lists at most five problems per event, then how many more, with long paths clipped', () => {
    const item: Record<string, unknown> = { source: 's' };
    for (let k = 0; k < 12; k++) item[`extra${k}`] = 1;
    const errors = errorsOf(item);
    expect(errors).toHaveLength(MAX_ERRORS_PER_EVENT + 1);
    expect(errors.slice(0, MAX_ERRORS_PER_EVENT).every((e) => e.message === 'unknown field')).toBe(true);
    expect(errors.at(-1)).toEqual({ path: '', message: 'and 7 more problems in this event' });
    // A path is clipped without splitting a surrogate pair; "__proto__" is listed like any other key.
    const long = `${'k'.repeat(MAX_ERROR_PATH - 2)}😀😀`;
    const [clipped, proto] = errorsOf(JSON.parse(`{"source":"s","${long}":1,"__proto__":1}`));
    expect(clipped?.path).toBe(`${'k'.repeat(MAX_ERROR_PATH - 2)}…`);
    expect(proto?.path).toBe('__proto__');
    expect(errorsOf({ source: 's', extra: 1, more: 2 })).toHaveLength(2);
  });

  it('answers a body of tiny unknown keys with fewer bytes of errors than the body itself', () => {
    const event = `{${Array.from({ length: 150 }, (_, k) => `"${k.toString(36)}":0`).join(',')}}`;
    const body = `[${Array.from({ length: MAX_EVENTS_PER_REQUEST }, () => event).join(',')}]`;
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const { rejected } = validateEvents(JSON.parse(body) as unknown[], options());
    expect(rejected).toHaveLength(MAX_EVENTS_PER_REQUEST);
    // Unbounded, this listed 150 errors per event: ~6 MB for a 1 MB body.
    expect(JSON.stringify(rejected).length).toBeLessThan(body.length / 2);
  });

  it('rejects non-object events', () => {
    for (const item of [null, 5, 'x', [{ source: 's' }]]) {
      expect(errorsOf(item)[0]?.path).toBe('');
    }
  });

  it('rejects bad timestamps', () => {
    expect(errorsOf({ source: 's', timestamp: '2025-06-01T12:00:00' })[0]).toEqual({
      path: 'timestamp',
      message: expect.stringMatching(/timezone/),
    });
    expect(errorsOf({ source: 's', timestamp: '2025-06-01' })[0]?.path).toBe('timestamp');
    expect(errorsOf({ source: 's', timestamp: 1.5 })[0]?.path).toBe('timestamp');
    expect(errorsOf({ source: 's', timestamp: true })[0]?.path).toBe('timestamp');
  });

  it('enforces retention and the 24 h future bound', () => {
    const opts = options({ retentionDays: 7 });
    expect(validateOne({ source: 's', timestamp: NOW - 7 * DAY }, opts).valid).toHaveLength(1);
    expect(errorsOf({ source: 's', timestamp: NOW - 7 * DAY - 1 }, opts)).toEqual([
      { path: 'timestamp', message: expect.stringMatching(/retention.*7 days/) },
    ]);
    expect(validateOne({ source: 's', timestamp: NOW + DAY }, opts).valid).toHaveLength(1);
    expect(errorsOf({ source: 's', timestamp: NOW + DAY + 1 }, opts)).toEqual([
      { path: 'timestamp', message: expect.stringMatching(/future/) },
    ]);
    // Epoch seconds by mistake land in 1970 and are refused rather than silently misplaced.
    expect(errorsOf({ source: 's', timestamp: Math.floor(NOW / 1000) }, opts)[0]?.path).toBe('timestamp');
  });
});

describe('validateEvents: depth and size limits', () => {
  it('accepts properties 8 deep and rejects 9 and 50', () => {
    expect(jsonDepth(nested(8), 100)).toBe(8);
    expect(validateOne({ source: 's', properties: nested(8) }).valid).toHaveLength(1);
    for (const depth of [9, 50]) {
      expect(errorsOf({ source: 's', properties: nested(depth) })).toEqual([
        { path: 'properties', message: 'must not be nested more than 8 levels deep' },
      ]);
    }
  });

  it('refuses a very deep value cleanly, even in an unknown field', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(errorsOf({ source: 's', junk: deep })).toEqual([{ path: 'junk', message: expect.stringMatching(/nested/) }]);
    expect(errorsOf(deep)[0]?.path).toBe('');
  });

  it('accepts an event of exactly 32 KiB and rejects 33 KiB', () => {
    const base = JSON.stringify({ source: 's', properties: { pad: '' } }).length;
    const exact = { source: 's', properties: { pad: 'x'.repeat(MAX_EVENT_BYTES - base) } };
    expect(JSON.stringify(exact).length).toBe(MAX_EVENT_BYTES);
    expect(validateOne(exact).valid).toHaveLength(1);
    const over = { source: 's', properties: { pad: 'x'.repeat(33 * 1024) } };
    expect(errorsOf(over)).toEqual([{ path: '', message: expect.stringMatching(/bytes/) }]);
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    // 11,000 × "€" is 11,000 UTF-16 units but 33,000 UTF-8 bytes.
    expect(errorsOf({ source: 's', properties: { t: '€'.repeat(11_000) } })[0]?.path).toBe('');
    // 8,000 emoji = 16,000 units but 32,000 bytes (4 each): still under 32 KiB with the wrapper.
    expect(validateOne({ source: 's', properties: { t: '😀'.repeat(8_000) } }).valid).toHaveLength(1);
    expect(errorsOf({ source: 's', properties: { t: '😀'.repeat(8_200) } })[0]?.path).toBe('');
  });
});

describe('validateEvents: mixed batches', () => {
  it('keeps valid events and reports rejected indexes', () => {
    const items = [
      { source: 'a' },
      { source: 'b', status: 'bad' },
      { source: 'c', id: 'client-1' },
      42,
      { source: 'e', properties: nested(20) },
      { source: 'f', type: 'error' },
    ];
    const r = validateEvents(items, options());
    expect(r.validIndexes).toEqual([0, 2, 5]);
    expect(r.valid.map((e) => e.source)).toEqual(['a', 'c', 'f']);
    expect(r.valid.map((e) => e.id)).toEqual(['gen-1', 'client-1', 'gen-2']);
    expect(r.rejected.map((x) => x.index)).toEqual([1, 3, 4]);
    expect(r.rejected[0]?.errors[0]?.path).toBe('status');
    expect(r.rejected[2]?.errors[0]?.path).toBe('properties');
  });
});

describe('eventInputSchema', () => {
  it('is strict and defaults type', () => {
    expect(eventInputSchema.parse({ source: 's' }).type).toBe('api_call');
    expect(eventInputSchema.safeParse({ source: 's', extra: 1 }).success).toBe(false);
  });
});
