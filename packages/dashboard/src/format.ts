// Pure helpers for what the pages show: number formats, time ranges, filters, sorting. Unit-tested in Node.

/** 1234 → "1,234"; 1234567 → "1.23M". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Events per second with a precision that suits the magnitude. */
export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n === 0) return '0';
  if (n < 0.1) return n.toFixed(3);
  if (n < 10) return n.toFixed(2);
  return formatCount(Math.round(n));
}

/** Milliseconds: "12.3 ms", "1.25 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** A ratio 0..1 as a percentage. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An event timestamp (ISO string or epoch ms) as epoch ms, NaN when unreadable. */
export function toEpochMs(t: string | number | null | undefined): number {
  if (typeof t === 'number') return t;
  if (typeof t === 'string') return Date.parse(t);
  return Number.NaN;
}

/** HH:MM:SS.mmm in the viewer's time zone, for the live tail. */
export function formatClock(t: string | number): string {
  const ms = toEpochMs(t);
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDateTime(t: string | null | undefined): string {
  if (!t) return '—';
  const ms = Date.parse(t);
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export const RANGES = ['1h', '6h', '24h', '7d', '30d'] as const;
export type RangeName = (typeof RANGES)[number];

const RANGE_MS: Record<RangeName, number> = {
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** The bucket width a range is charted at: at most a few hundred points per series. */
const RANGE_INTERVAL: Record<RangeName, '1m' | '5m' | '15m' | '1h' | '1d'> = {
  '1h': '1m',
  '6h': '5m',
  '24h': '15m',
  '7d': '1h',
  '30d': '1d',
};

export interface TimeQuery {
  from: string;
  to: string;
  interval: '1m' | '5m' | '15m' | '1h' | '1d';
}

/** The last `range` up to `now`, with `to` rounded up to the next minute so the current minute is included. */
export function rangeQuery(range: RangeName, now: number): TimeQuery {
  const to = Math.ceil(now / 60_000) * 60_000;
  return {
    from: new Date(to - RANGE_MS[range]).toISOString(),
    to: new Date(to).toISOString(),
    interval: RANGE_INTERVAL[range],
  };
}

export const STATUS_FILTERS = ['all', '2xx', '3xx', '4xx', '5xx', 'errors'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/** Whether an event passes the live tail's status filter ("errors": type error or a 5xx). */
export function statusMatches(filter: StatusFilter, event: { status?: number | null; type?: string | null }): boolean {
  if (filter === 'all') return true;
  const status = typeof event.status === 'number' ? event.status : null;
  if (filter === 'errors') return event.type === 'error' || (status !== null && status >= 500);
  if (status === null) return false;
  return Math.floor(status / 100) === Number(filter[0]);
}

export type SortDirection = 'asc' | 'desc';

/**
 * Rows sorted by one key without mutating the input; nulls always last, ties broken by the original order so
 * the table does not shuffle between refreshes.
 */
export function sortRows<T, K extends keyof T>(rows: readonly T[], key: K, direction: SortDirection): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[key];
      const y = b.row[key];
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      if (xNull || yNull) return xNull === yNull ? a.index - b.index : xNull ? 1 : -1;
      let cmp: number;
      if (typeof x === 'number' && typeof y === 'number') cmp = x - y;
      else cmp = String(x).localeCompare(String(y));
      return cmp === 0 ? a.index - b.index : sign * cmp;
    })
    .map((e) => e.row);
}

/** Quotes a string for a POSIX shell: single quotes, with embedded single quotes closed and escaped. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The copy-paste command that sends a first event with an ingest key. */
export function firstEventCurl(origin: string, key: string): string {
  const body = JSON.stringify({
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 182,
  });
  return [
    `curl -X POST ${shellQuote(`${origin}/v1/events`)} \\`,
    `  -H ${shellQuote(`Authorization: Bearer ${key}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

/** A `datetime-local` input value (local time, minutes) for an instant. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value back to ISO 8601 UTC; null when empty or unreadable. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
