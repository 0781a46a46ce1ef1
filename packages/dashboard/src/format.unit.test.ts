import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  firstEventCurl,
  formatCount,
  formatMs,
  formatPercent,
  fromLocalInput,
  rangeQuery,
  shellQuote,
  sortRows,
  statusMatches,
  toLocalInput,
} from './format';

describe('number formats', () => {
  it('formats counts, latencies and ratios, with a dash for missing values', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(2_500_000)).toBe('2.50M');
    expect(formatCount(null)).toBe('—');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(250.4)).toBe('250 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(null)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0004)).toBe('<0.1%');
    expect(formatPercent(0.0512)).toBe('5.1%');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(Number.NaN)).toBe('—');
  });
});

describe('rangeQuery', () => {
  it('ends at the next whole minute and picks an interval per range', () => {
    const now = Date.parse('2026-11-29T10:15:30Z');
    expect(rangeQuery('1h', now)).toEqual({
      from: '2026-11-29T09:16:00.000Z',
      to: '2026-11-29T10:16:00.000Z',
      interval: '1m',
    });
    expect(rangeQuery('7d', now).interval).toBe('1h');
    expect(rangeQuery('30d', now).from).toBe('2026-10-30T10:16:00.000Z');
  });
});

describe('statusMatches', () => {
  it('matches status classes, and errors by type or 5xx', () => {
    expect(statusMatches('all', {})).toBe(true);
    expect(statusMatches('2xx', { status: 204 })).toBe(true);
    expect(statusMatches('2xx', { status: 404 })).toBe(false);
    expect(statusMatches('4xx', { status: null })).toBe(false);
    expect(statusMatches('errors', { status: 503 })).toBe(true);
    expect(statusMatches('errors', { status: 200, type: 'error' })).toBe(true);
    expect(statusMatches('errors', { status: 429 })).toBe(false);
  });
});

describe('sortRows', () => {
  const rows = [
    { name: 'b', n: 2 as number | null },
    { name: 'a', n: null },
    { name: 'c', n: 2 },
    { name: 'd', n: 9 },
  ];
  it('sorts either way with nulls last and ties in their original order', () => {
    expect(sortRows(rows, 'n', 'desc').map((r) => r.name)).toEqual(['d', 'b', 'c', 'a']);
    expect(sortRows(rows, 'n', 'asc').map((r) => r.name)).toEqual(['b', 'c', 'd', 'a']);
    expect(sortRows(rows, 'name', 'asc').map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(rows[0]?.name).toBe('b');
  });
});

describe('the first-event curl', () => {
  it('quotes values so a shell passes them through unchanged', () => {
    const tricky = `it's "$HOME" \`x\``;
    const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(tricky)}`]).toString();
    expect(echoed).toBe(tricky);
  });

  it('is a command sh parses into the URL, headers and JSON body', () => {
    const cmd = firstEventCurl('http://127.0.0.1:8787', 'ps_live_abc');
    // Replace curl by a printer of its arguments, one per line.
    const args = execFileSync('sh', ['-c', `curl() { for a in "$@"; do printf '%s\\n' "$a"; done; }\n${cmd}`])
      .toString()
      .trim()
      .split('\n');
    expect(args).toContain('http://127.0.0.1:8787/v1/events');
    expect(args).toContain('Authorization: Bearer ps_live_abc');
    const body = JSON.parse(args[args.length - 1] ?? '');
    expect(body.source).toBe('stripe');
  });
});

describe('datetime-local round trip', () => {
  it('keeps the minute', () => {
    const ms = Date.parse('2026-03-04T05:06:00Z');
    expect(fromLocalInput(toLocalInput(ms))).toBe('2026-03-04T05:06:00.000Z');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('nonsense')).toBeNull();
  });
});
