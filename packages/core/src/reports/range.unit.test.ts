import { describe, expect, it } from 'vitest';
import { checkReportRange, resolveScheduleRange } from './range';

describe('checkReportRange', () => {
  const d = (s: string) => new Date(s);
  it('accepts up to 31 days, from before to', () => {
    expect(checkReportRange(d('2026-11-01T00:00:00Z'), d('2026-12-02T00:00:00Z'))).toBeNull();
    expect(checkReportRange(d('2026-11-01T00:00:00Z'), d('2026-11-01T00:00:00.001Z'))).toBeNull();
  });
  it('refuses longer, empty, reversed and out-of-range windows', () => {
    expect(checkReportRange(d('2026-11-01T00:00:00Z'), d('2026-12-02T00:00:00.001Z'))).toMatch(/31 days/);
    expect(checkReportRange(d('2026-11-01T00:00:00Z'), d('2026-11-01T00:00:00Z'))).toMatch(/before/);
    expect(checkReportRange(d('2026-11-02T00:00:00Z'), d('2026-11-01T00:00:00Z'))).toMatch(/before/);
    const year0 = new Date(-62_135_596_800_001);
    expect(checkReportRange(year0, new Date(year0.getTime() + 1000))).toMatch(/years 1 to 9999/);
    expect(checkReportRange(d('9999-12-31T23:00:00Z'), d('+010000-01-01T00:00:00Z'))).toMatch(/years 1 to 9999/);
    expect(checkReportRange(d('9999-12-31T23:00:00Z'), d('9999-12-31T23:59:59.999Z'))).toBeNull();
    expect(checkReportRange(d('nope'), d('2026-11-01T00:00:00Z'))).toMatch(/valid/);
  });
});

describe('resolveScheduleRange', () => {
  it('ends at the due minute and spans the named range', () => {
    const r = resolveScheduleRange('last_24h', new Date('2026-11-29T10:15:42Z'));
    expect(r.to.toISOString()).toBe('2026-11-29T10:15:00.000Z');
    expect(r.from.toISOString()).toBe('2026-11-28T10:15:00.000Z');
    expect(resolveScheduleRange('last_1h', r.to).from.toISOString()).toBe('2026-11-29T09:15:00.000Z');
    expect(resolveScheduleRange('last_7d', r.to).from.toISOString()).toBe('2026-11-22T10:15:00.000Z');
  });
});
