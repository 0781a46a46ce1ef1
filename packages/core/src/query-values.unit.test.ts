import { describe, expect, it } from 'vitest';
import { checkFilterText, MAX_INSTANT_MS, MIN_INSTANT_MS, parseCalendarDate, parseInstant } from './query-values';

describe('parseInstant', () => {
  it('accepts ISO 8601 and epoch milliseconds in years 1 to 9999', () => {
    expect(parseInstant('2026-11-01T00:00:00Z')).toEqual({ ok: true, value: new Date('2026-11-01T00:00:00Z') });
    expect(parseInstant('2026-11-01T02:00:00+02:00')).toEqual({ ok: true, value: new Date('2026-11-01T00:00:00Z') });
    expect(parseInstant('2026-11-01')).toEqual({ ok: true, value: new Date('2026-11-01T00:00:00Z') });
    expect(parseInstant('1795428033470')).toEqual({ ok: true, value: new Date(1795428033470) });
    expect(parseInstant('0001-01-01T00:00:00Z')).toEqual({ ok: true, value: new Date(MIN_INSTANT_MS) });
    expect(parseInstant('9999-12-31T23:59:59.999Z')).toEqual({ ok: true, value: new Date(MAX_INSTANT_MS) });
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '10000-01-01T00:00:00Z',
    '+010000-01-01T00:00:00Z',
    '2026-02-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '12345678901234567890',
    String(MAX_INSTANT_MS + 1),
    'now',
    '2026-01-01T00:00:00Z\u0000',
    '',
  ])('refuses %j', (value) => {
    expect(parseInstant(value).ok).toBe(false);
  });
});

describe('parseCalendarDate', () => {
  it('accepts real days and refuses the ones Date.parse rolls over', () => {
    expect(parseCalendarDate('2024-02-29').ok).toBe(true);
    expect(parseCalendarDate('2026-02-29').ok).toBe(false);
    expect(parseCalendarDate('2026-02-31').ok).toBe(false);
    expect(parseCalendarDate('0000-01-01').ok).toBe(false);
    expect(parseCalendarDate('2026-1-1').ok).toBe(false);
  });
});

describe('checkFilterText', () => {
  it('refuses NUL, control characters and lone surrogates', () => {
    expect(checkFilterText('stripe').ok).toBe(true);
    expect(checkFilterText('POST /v1/charges 😀').ok).toBe(true);
    expect(checkFilterText('a\u0000b').ok).toBe(false);
    expect(checkFilterText('a\nb').ok).toBe(false);
    expect(checkFilterText('\ud800').ok).toBe(false);
  });
});
