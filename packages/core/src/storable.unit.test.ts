import { describe, expect, it } from 'vitest';
import { validateEvents } from './event-schema';
import { findUnstorable, hasUnpairedSurrogate, toStorableText, unstorableReason } from './storable';

describe('unstorableReason', () => {
  it('refuses NUL and unpaired surrogates, and accepts paired ones', () => {
    expect(unstorableReason('a\u0000b')).toMatch(/NUL/);
    expect(unstorableReason('\ud800')).toMatch(/surrogate/);
    expect(unstorableReason('x\udc00')).toMatch(/surrogate/);
    expect(unstorableReason('\udc00\ud800')).toMatch(/surrogate/);
    expect(unstorableReason('\ud83d\ude00 ok')).toBeNull();
    expect(unstorableReason('')).toBeNull();
  });
});

describe('hasUnpairedSurrogate', () => {
  it('finds a lone surrogate even after a NUL, and nothing in paired or plain text', () => {
    expect(hasUnpairedSurrogate('a\u0000\ud800')).toBe(true);
    expect(hasUnpairedSurrogate('\udc00x')).toBe(true);
    expect(hasUnpairedSurrogate('x\ud83d')).toBe(true);
    expect(hasUnpairedSurrogate('\ud83d\ude00')).toBe(false);
    expect(hasUnpairedSurrogate('a\u0000b\ufffd')).toBe(false);
  });
});

describe('findUnstorable', () => {
  it('names the path of the first bad key or string, however deep', () => {
    expect(findUnstorable({ a: { b: ['ok', 'x\u0000'] } }, 'properties')).toEqual({
      path: 'properties.a.b.1',
      message: expect.stringMatching(/NUL/),
    });
    expect(findUnstorable({ 'k\ud800': 1 })?.path).toBe('k\ud800');
    expect(findUnstorable({ n: 1e308, s: 'fine', t: true, z: null })).toBeNull();
  });
});

describe('toStorableText', () => {
  it('replaces exactly the unstorable characters', () => {
    expect(toStorableText('a\u0000b\ud800c\ud83d\ude00')).toBe('a\ufffdb\ufffdc\ud83d\ude00');
    expect(unstorableReason(toStorableText('\udfff\u0000\ud800'))).toBeNull();
  });
});

describe('validateEvents and names that are not plain-object safe', () => {
  const opts = { now: Date.now(), retentionDays: 30, generateId: () => 'generated' };

  it('keeps "__proto__" as an ordinary property, not a prototype', () => {
    const parsed: unknown = JSON.parse('{"source":"s","properties":{"__proto__":{"x":1},"constructor":2}}');
    const result = validateEvents([parsed], opts);
    expect(result.rejected).toEqual([]);
    const props = result.valid[0]?.properties;
    expect(JSON.stringify(props)).toBe('{"__proto__":{"x":1},"constructor":2}');
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
  });

  it('rejects unstorable property values with their path, keeping the batch-mates', () => {
    const result = validateEvents(
      [
        { source: 's', properties: { a: 'x\u0000' } },
        { source: 's\ud800' },
        { source: 's', properties: { ok: '\ud83d\ude00' } },
      ],
      opts,
    );
    expect(result.validIndexes).toEqual([2]);
    expect(result.rejected.map((r) => [r.index, r.errors[0]?.path])).toEqual([
      [0, 'properties.a'],
      [1, 'source'],
    ]);
  });
});
