import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LATENCY_MS } from './event-schema';
import { RollingWindows } from './rolling-windows';
import {
  joinMinuteParts,
  MAX_PART_BYTES,
  type MinuteData,
  type MinutePart,
  splitMinute,
} from './rolling-windows-parts';
import { utf8Length } from './utf8';

const NOW = Date.parse('2025-06-01T12:00:30Z');
const parse = (parts: string[]) => parts.map((p) => JSON.parse(p) as MinutePart);

/** One minute of a tenant whose 200 sources report latencies spread over the whole accepted range. */
function widestMinute(sources: number): MinuteData {
  const windows = new RollingWindows();
  for (let s = 0; s < sources; s++) {
    for (let i = 0; i < 2_500; i++) {
      const latencyMs = Math.min(MAX_LATENCY_MS, Math.exp((i / 2_500) * 36 - 21) * (1 + s / 997));
      windows.add({ timestamp: NOW, source: `service-${s}-ü`, status: 200 + (i % 400), latencyMs }, NOW);
    }
  }
  const [minute] = windows.toJSON().minutes;
  if (!minute) throw new Error('no minute');
  return minute;
}

const cell = fc.record({
  n: fc.nat(),
  e: fc.nat(),
  s: fc.record({
    a: fc.constant(0.01),
    z: fc.nat(),
    k0: fc.integer(),
    c: fc.array(fc.nat({ max: 1e6 }), { maxLength: 40 }),
  }),
});
const minute = fc.record({
  m: fc.integer({ min: 0, max: 2 ** 40 }),
  t: cell,
  src: fc
    .uniqueArray(
      fc.tuple(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('__proto__', 'constructor')), cell),
      {
        selector: ([name]) => name,
        maxLength: 30,
      },
    )
    .map((entries) => {
      const src = Object.create(null) as MinuteData['src'];
      for (const [name, c] of entries) src[name] = c as unknown as MinuteData['src'][string];
      return src;
    }),
}) as unknown as fc.Arbitrary<MinuteData>;

describe('splitMinute / joinMinuteParts', () => {
  it('keeps the widest real minute under the bound, which one value would exceed', () => {
    const data = widestMinute(200);
    expect(utf8Length(JSON.stringify(data))).toBeGreaterThan(2 * 1024 * 1024);
    const parts = splitMinute(data);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(utf8Length(part)).toBeLessThanOrEqual(MAX_PART_BYTES);
    expect(joinMinuteParts(parse(parts))).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('stores a small minute as one part, equal to its plain JSON', () => {
    const data = widestMinute(2);
    expect(splitMinute(data)).toEqual([JSON.stringify(data)]);
  });

  it('round-trips any minute, every part within the bound and full but for the last (fast-check)', () => {
    fc.assert(
      fc.property(minute, fc.integer({ min: 2_000, max: 20_000 }), (data, maxBytes) => {
        const parts = splitMinute(data, maxBytes);
        for (const part of parts) expect(utf8Length(part)).toBeLessThanOrEqual(maxBytes);
        const parsed = parse(parts);
        expect(joinMinuteParts([...parsed].reverse())).toEqual(JSON.parse(JSON.stringify(data)));
        // No part could have taken the next part's first source.
        for (let i = 0; i + 1 < parsed.length; i++) {
          const [name, next] = Object.entries(parsed[i + 1]?.src ?? {})[0] ?? [];
          if (name === undefined) continue;
          const grown = { ...parsed[i], src: { ...parsed[i]?.src, [name]: next } };
          expect(utf8Length(JSON.stringify(grown))).toBeGreaterThan(maxBytes - 2);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a cell that cannot fit rather than write an oversized part', () => {
    const data = widestMinute(1);
    expect(() => splitMinute(data, 1_000)).toThrow(RangeError);
  });

  it('refuses parts of different minutes, a source stored twice, or no tenant-wide part', () => {
    const [head, ...rest] = parse(splitMinute(widestMinute(40), 60_000));
    if (!head || rest.length === 0) throw new Error('expected several parts');
    expect(() => joinMinuteParts(rest)).toThrow(/tenant-wide/);
    expect(() => joinMinuteParts([head, { ...(rest[0] as MinutePart), m: head.m + 1 }])).toThrow(/malformed/);
    expect(() => joinMinuteParts([head, ...rest, rest[0] as MinutePart])).toThrow(/twice/);
  });
});
