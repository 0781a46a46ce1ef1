import { describe, expect, it } from 'vitest';
import { isUuidv7, uuidv7, uuidv7Timestamp } from './uuidv7';

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function bytesOf(id: string): number[] {
  const hex = id.replaceAll('-', '');
  return Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

describe('uuidv7', () => {
  it('sets version 7 and variant 0b10', () => {
    for (let i = 0; i < 500; i++) {
      const id = uuidv7(1_700_000_000_000 + i * 7);
      expect(id).toMatch(SHAPE);
      const b = bytesOf(id);
      expect((b[6] ?? 0) >> 4).toBe(7);
      expect((b[8] ?? 0) >> 6).toBe(0b10);
      expect(isUuidv7(id)).toBe(true);
    }
  });

  it('encodes the 48-bit millisecond timestamp big-endian', () => {
    for (const t of [0, 1, 255, 256, 1_700_000_123_456, 2 ** 48 - 1]) {
      const id = uuidv7(t);
      expect(uuidv7Timestamp(id)).toBe(t);
      expect(id.slice(0, 8) + id.slice(9, 13)).toBe(t.toString(16).padStart(12, '0'));
    }
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const ts = uuidv7Timestamp(uuidv7());
    const after = Date.now();
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
  });

  it('sorts lexicographically by millisecond', () => {
    const base = 1_710_000_000_000;
    const ids = [base + 5, base, base + 1000, base + 1, base + 2 ** 32].map((t) => uuidv7(t));
    const sorted = [...ids].sort();
    expect(sorted.map(uuidv7Timestamp)).toEqual([base, base + 1, base + 5, base + 1000, base + 2 ** 32]);
  });

  it('is strictly increasing and unique within one millisecond', () => {
    const t = 1_720_000_000_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(t));
    for (let i = 1; i < ids.length; i++) {
      expect((ids[i] ?? '') > (ids[i - 1] ?? '')).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => uuidv7Timestamp(id) === t)).toBe(true);
    // The trailing 32 bits are fresh randomness, not part of the counter.
    expect(new Set(ids.map((id) => id.slice(-8))).size).toBeGreaterThan(9_900);
  });

  it('keeps an explicitly older timestamp truthful', () => {
    uuidv7(1_730_000_000_000);
    const old = uuidv7(1_600_000_000_000);
    expect(uuidv7Timestamp(old)).toBe(1_600_000_000_000);
    const a = uuidv7(1_600_000_000_000);
    expect(a > old).toBe(true);
    expect(uuidv7(1_730_000_000_000) > a).toBe(true);
  });

  it('honours a timestamp even one millisecond older than the previous id', () => {
    const t = 1_735_000_000_000;
    uuidv7(t);
    expect(uuidv7Timestamp(uuidv7(t - 1))).toBe(t - 1);
  });

  it('reseeds randomly for each new millisecond', () => {
    const counters = new Set<string>();
    for (let i = 0; i < 200; i++) counters.add(uuidv7(1_740_000_000_000 + i).slice(14, 23));
    expect(counters.size).toBeGreaterThan(190);
  });

  it('rejects invalid timestamps and ids', () => {
    expect(() => uuidv7(-1)).toThrow(RangeError);
    expect(() => uuidv7(1.5)).toThrow(RangeError);
    expect(() => uuidv7(2 ** 48)).toThrow(RangeError);
    expect(() => uuidv7Timestamp('not-a-uuid')).toThrow(TypeError);
    // A v4 UUID is well-formed but not v7.
    expect(() => uuidv7Timestamp('3b241101-e2bb-4255-8caf-4136c566a962')).toThrow(TypeError);
    expect(isUuidv7('3b241101-e2bb-4255-8caf-4136c566a962')).toBe(false);
    expect(isUuidv7('018f2b1a-0000-7000-c000-000000000000')).toBe(false); // variant 0b11
  });
});
