import { describe, expect, it } from 'vitest';
import { CronError, cronMatches, isValidTimeZone, nextCronTime, parseCron } from './cron';

const next = (expr: string, after: string, tz = 'UTC') =>
  nextCronTime(parseCron(expr), new Date(after), tz)?.toISOString() ?? null;

describe('parseCron', () => {
  it('parses lists, ranges, steps and names', () => {
    const s = parseCron('*/15 9-17/4 1,15 JAN-mar mon-FRI');
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 13, 17]);
    expect([...s.daysOfMonth]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
    expect(s.domRestricted && s.dowRestricted).toBe(true);
  });

  it('reads day-of-week 7 as Sunday and a/n as a to the end', () => {
    expect([...parseCron('0 0 * * 7').daysOfWeek]).toEqual([0]);
    expect([...parseCron('50/5 * * * *').minutes]).toEqual([50, 55]);
  });

  it.each([
    '',
    '* * * *',
    '* * * * * *',
    '60 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * 32 * *',
    '* * * 13 *',
    '* * * * 8',
    '*/0 * * * *',
    '5-1 * * * *',
    '1-2-3 * * * *',
    'a * * * *',
    '__proto__ * * * *',
    '\u0000 * * * *',
    '99999999999999999999 * * * *',
  ])('refuses %j', (expr) => {
    expect(() => parseCron(expr)).toThrow(CronError);
  });
});

describe('nextCronTime in UTC', () => {
  it('finds the next minute strictly after the given time', () => {
    expect(next('* * * * *', '2026-11-29T10:15:30Z')).toBe('2026-11-29T10:16:00.000Z');
    expect(next('* * * * *', '2026-11-29T10:15:00Z')).toBe('2026-11-29T10:16:00.000Z');
    expect(next('0 * * * *', '2026-11-29T10:15:00Z')).toBe('2026-11-29T11:00:00.000Z');
    expect(next('30 2 * * *', '2026-11-29T10:15:00Z')).toBe('2026-11-30T02:30:00.000Z');
  });

  it('crosses months and years and handles leap days', () => {
    expect(next('0 0 1 * *', '2026-12-15T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 12 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
  });

  it('ORs the day fields when both are restricted, ANDs otherwise', () => {
    // 2026-12-01 is a Tuesday: the 13th or any Friday.
    expect(next('0 8 13 * 5', '2026-12-01T00:00:00Z')).toBe('2026-12-04T08:00:00.000Z');
    // only Fridays
    expect(next('0 8 * * 5', '2026-12-05T00:00:00Z')).toBe('2026-12-11T08:00:00.000Z');
  });

  it('returns null for a schedule that never fires', () => {
    expect(next('0 0 31 2 *', '2026-01-01T00:00:00Z')).toBeNull();
    expect(next('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeNull();
  });
});

describe('nextCronTime in a time zone', () => {
  it('evaluates the wall clock of the zone', () => {
    // 09:00 in New York in winter (UTC-5) is 14:00 UTC.
    expect(next('0 9 * * *', '2026-12-01T00:00:00Z', 'America/New_York')).toBe('2026-12-01T14:00:00.000Z');
    // India is UTC+5:30.
    expect(next('0 9 * * *', '2026-12-01T00:00:00Z', 'Asia/Kolkata')).toBe('2026-12-01T03:30:00.000Z');
  });

  it('follows DST: summer is UTC-4 in New York', () => {
    expect(next('0 9 * * *', '2026-07-01T00:00:00Z', 'America/New_York')).toBe('2026-07-01T13:00:00.000Z');
  });

  it('skips a local time that a spring-forward removes, and fires a repeated one once', () => {
    // 2026-03-08 02:30 does not exist in New York; the next 02:30 is on the 9th (06:30 UTC, EDT).
    expect(next('30 2 * * *', '2026-03-08T00:00:00Z', 'America/New_York')).toBe('2026-03-09T06:30:00.000Z');
    // 2026-11-01 01:30 happens twice (05:30 and 06:30 UTC); only the first fires.
    const first = next('30 1 * * *', '2026-11-01T00:00:00Z', 'America/New_York');
    expect(first).toBe('2026-11-01T05:30:00.000Z');
    expect(next('30 1 * * *', first as string, 'America/New_York')).toBe('2026-11-02T06:30:00.000Z');
  });

  it('cronMatches agrees with nextCronTime', () => {
    const s = parseCron('15 3 * * 1');
    const at = nextCronTime(s, new Date('2026-12-01T00:00:00Z'), 'Europe/Berlin') as Date;
    expect(cronMatches(s, at, 'Europe/Berlin')).toBe(true);
    expect(cronMatches(s, new Date(at.getTime() + 60_000), 'Europe/Berlin')).toBe(false);
  });
});

describe('isValidTimeZone', () => {
  it('knows UTC and IANA names and refuses the rest', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('__proto__')).toBe(false);
    expect(isValidTimeZone('Europe/Paris\u0000')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
