import { describe, expect, it } from 'vitest';
import {
  jsonBytes,
  jsonStringBytesAtMost,
  MAX_EVENTS_PER_MESSAGE,
  MAX_MESSAGE_BYTES,
  MAX_SEND_BATCH_BYTES,
  packEventsForQueue,
  packItems,
} from './ingest-pack';

describe('jsonBytes', () => {
  it('counts UTF-8 bytes of the JSON text, as TextEncoder would', () => {
    for (const value of [{ a: 'plain' }, { e: 'é€😀' }, ['\ud800 lone'], 'x'.repeat(1000), null, 42]) {
      expect(jsonBytes(value)).toBe(new TextEncoder().encode(JSON.stringify(value)).length);
    }
  });
});

describe('packItems', () => {
  it('cuts at the item count', () => {
    const packs = packItems([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], { maxItems: 2, maxBytes: 1000 });
    expect(packs.map((p) => p.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('cuts at the byte budget, counting a separator per item', () => {
    // 3 items of 4 bytes cost 5 each; a budget of 10 fits two.
    const packs = packItems(['a', 'b', 'c'], [4, 4, 4], { maxItems: 100, maxBytes: 10 });
    expect(packs.map((p) => p.items)).toEqual([['a', 'b'], ['c']]);
    expect(packs[0]?.bytes).toBe(10);
  });

  it('gives an oversized item a group of its own instead of dropping it', () => {
    const packs = packItems(['small', 'huge', 'small2'], [1, 50, 1], { maxItems: 100, maxBytes: 10 });
    expect(packs.map((p) => p.items)).toEqual([['small'], ['huge'], ['small2']]);
  });

  it('refuses mismatched sizes', () => {
    expect(() => packItems([1], [], { maxItems: 1, maxBytes: 1 })).toThrow(RangeError);
  });
});

describe('packEventsForQueue', () => {
  it('keeps every event, in order, within the message and sendBatch limits', () => {
    const blob = 'x'.repeat(30_000);
    const events = Array.from({ length: 1000 }, (_, i) => ({ id: `e${i}`, p: i % 10 === 0 ? blob : 'y' }));
    const calls = packEventsForQueue(events, 200);
    const flat = calls.flat(2);
    expect(flat).toEqual(events);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100);
      const callBytes = call.reduce((sum, m) => sum + jsonBytes(m) + 200, 0);
      expect(callBytes).toBeLessThanOrEqual(MAX_SEND_BATCH_BYTES);
      for (const message of call) {
        expect(message.length).toBeLessThanOrEqual(MAX_EVENTS_PER_MESSAGE);
        expect(jsonBytes(message) + 200).toBeLessThan(MAX_MESSAGE_BYTES);
      }
    }
    // 100 blobs of 30 KB: at most 4 fit in a 120 KiB message, so at least 25 messages and 13 calls.
    expect(calls.flat().length).toBeGreaterThanOrEqual(25);
    expect(calls.length).toBeGreaterThanOrEqual(13);
  });

  it('splits 100 events whose multibyte text overflows one message, exactly as the byte budget says', () => {
    // 100 events of ~1,500 € signs: 4,500+ bytes each as UTF-8 but only ~1,500 UTF-16 units.
    const events = Array.from({ length: 100 }, (_, i) => ({ id: i, p: '€'.repeat(1_500) }));
    const calls = packEventsForQueue(events, 100);
    expect(calls.flat(2)).toEqual(events);
    const messages = calls.flat();
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(jsonBytes(message) + 100).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it('puts 100 small events in one message and one call', () => {
    const events = Array.from({ length: 100 }, (_, i) => ({ id: i }));
    expect(packEventsForQueue(events, 100)).toEqual([[events]]);
  });

  it('trusts a bound of the summed sizes only when it proves one message is enough', () => {
    const events = [{ p: 'x'.repeat(50_000) }, { p: 'y'.repeat(50_000) }, { p: 'z'.repeat(50_000) }];
    // A bound that proves the fit: one message, same events.
    expect(packEventsForQueue(events.slice(0, 1), 100, 60_000)).toEqual([[events.slice(0, 1)]]);
    expect(packEventsForQueue(events.slice(0, 2), 100, 110_000)).toEqual([[events.slice(0, 2)]]);
    // A bound too large to prove anything falls back to measuring: three 50 KB events need two messages.
    const measured = packEventsForQueue(events, 100, 180_000);
    expect(measured.flat().length).toBe(2);
    expect(measured.flat(2)).toEqual(events);
  });
});

describe('jsonStringBytesAtMost', () => {
  it('bounds the JSON text of any string, escapes and multibyte text included', () => {
    for (const s of ['', 'abc', '"\\\n\u0001', '€€€', '😀x', '\ud800', 'é'.repeat(100), '\u007f\u2028']) {
      expect(jsonBytes(s)).toBeLessThanOrEqual(jsonStringBytesAtMost(s));
    }
  });
});
