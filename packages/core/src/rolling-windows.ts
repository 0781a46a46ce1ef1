/**
 * Rolling live metrics over the last hour, kept in one-minute buckets (overall
 * and per source), each with a DDSketch of latencies. A window of N minutes is
 * the current minute plus the previous N - 1, computed by merging the buckets,
 * so the windows agree with each other and with per-minute rollups in storage.
 */
import type { SketchData } from './ddsketch';
import { DDSketch } from './ddsketch';

export const WINDOWS = ['1m', '5m', '15m', '1h'] as const;
export type WindowName = (typeof WINDOWS)[number];

/** Length of each window in minutes. */
export const WINDOW_MINUTES: Readonly<Record<WindowName, number>> = { '1m': 1, '5m': 5, '15m': 15, '1h': 60 };

/** Minutes kept: the longest window. */
export const RETAINED_MINUTES = 60;
/** Bucket for sources beyond the per-instance limit. */
export const OTHER_SOURCE = '__other__';
export const DEFAULT_MAX_SOURCES = 200;
/** Events stamped further ahead than this (client clock skew) are ignored. */
export const MAX_FUTURE_SKEW_MS = 60_000;

const MINUTE_MS = 60_000;

/** Aggregates for one window. Percentiles are null when no event carried a latency. */
export interface WindowStats {
  count: number;
  errors: number;
  /** errors / count, 0 when count is 0 */
  errorRate: number;
  eventsPerSec: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** events that carried a latency (Prometheus summary _count) */
  latencyCount: number;
  /** sum of their latencies in ms (Prometheus summary _sum) */
  latencySum: number;
}

export type WindowsSnapshot = Record<WindowName, WindowStats>;

/** The fields of an event the live metrics need. */
export interface LiveEvent {
  /** epoch ms */
  timestamp: number;
  source: string;
  status?: number | null;
  type?: string;
  latencyMs?: number | null;
}

/** An event is an error when its type is "error" or its status is 5xx. */
export function isErrorEvent(event: { type?: string; status?: number | null }): boolean {
  return event.type === 'error' || (typeof event.status === 'number' && event.status >= 500);
}

/** HTTP status class (2 for 2xx …), or 0 when there is no status. */
export function statusClass(status: number | null | undefined): number {
  return typeof status === 'number' && Number.isFinite(status) ? Math.floor(status / 100) : 0;
}

interface Cell {
  count: number;
  errors: number;
  sketch: DDSketch;
}

interface MinuteBucket {
  total: Cell;
  sources: Map<string, Cell>;
}

export interface RollingWindowsOptions {
  /** Distinct sources tracked per instance; later ones count as {@link OTHER_SOURCE}. */
  maxSources?: number;
  relativeAccuracy?: number;
}

/** Serialized cell: count, errors, latency sketch. */
export interface CellData {
  n: number;
  e: number;
  s: SketchData;
}

/** Serialized {@link RollingWindows}. */
export interface RollingWindowsData {
  v: 1;
  a: number;
  maxSources: number;
  minutes: { m: number; t: CellData; src: Record<string, CellData> }[];
}

/** Stats of a window with no events. */
export function emptyWindowStats(): WindowStats {
  return {
    count: 0,
    errors: 0,
    errorRate: 0,
    eventsPerSec: 0,
    p50: null,
    p95: null,
    p99: null,
    latencyCount: 0,
    latencySum: 0,
  };
}

/** Rolling one-hour live metrics for one tenant. Not thread-safe; owned by one Durable Object. */
export class RollingWindows {
  readonly maxSources: number;
  readonly relativeAccuracy: number;
  private readonly minutes = new Map<number, MinuteBucket>();
  /** Latest minute each tracked source was seen in, to enforce and free the source limit. */
  private readonly sourceLastMinute = new Map<string, number>();

  constructor(options: RollingWindowsOptions = {}) {
    this.maxSources = options.maxSources ?? DEFAULT_MAX_SOURCES;
    this.relativeAccuracy = options.relativeAccuracy ?? 0.01;
    if (!Number.isInteger(this.maxSources) || this.maxSources < 0) {
      throw new RangeError(`maxSources must be a non-negative integer, got ${this.maxSources}`);
    }
    // Fail on a bad accuracy now rather than on the first event.
    new DDSketch(this.relativeAccuracy);
  }

  /**
   * Counts one event. Events older than the retained hour or more than a minute
   * ahead of `now` are ignored; slightly-future events (skewed client clocks)
   * count in the current minute so the live view shows them at once.
   * @returns whether the event was counted
   */
  add(event: LiveEvent, now: number = Date.now()): boolean {
    if (!Number.isFinite(event.timestamp) || event.timestamp > now + MAX_FUTURE_SKEW_MS) return false;
    const nowMinute = Math.floor(now / MINUTE_MS);
    const minute = Math.min(Math.floor(event.timestamp / MINUTE_MS), nowMinute);
    if (minute <= nowMinute - RETAINED_MINUTES) return false;

    let bucket = this.minutes.get(minute);
    if (!bucket) {
      this.prune(now);
      bucket = { total: this.newCell(), sources: new Map() };
      this.minutes.set(minute, bucket);
    }
    const source = this.admitSource(event.source, minute);
    let cell = bucket.sources.get(source);
    if (!cell) {
      cell = this.newCell();
      bucket.sources.set(source, cell);
    }
    const error = isErrorEvent(event);
    const latency = event.latencyMs;
    // A bad latency should not lose the event: count it, skip the sketch.
    const hasLatency = typeof latency === 'number' && Number.isFinite(latency) && latency >= 0;
    for (const target of [bucket.total, cell]) {
      target.count++;
      if (error) target.errors++;
      if (hasLatency) target.sketch.add(latency);
    }
    return true;
  }

  /** Overall stats for every window as of `now`. */
  snapshot(now: number): WindowsSnapshot {
    return this.windowsOf(now, (bucket) => bucket.total);
  }

  /** Stats per source (including {@link OTHER_SOURCE} when used) for every window as of `now`. */
  bySource(now: number): Record<string, WindowsSnapshot> {
    const nowMinute = Math.floor(now / MINUTE_MS);
    const names = new Set<string>();
    for (const [minute, bucket] of this.minutes) {
      if (this.inRange(minute, nowMinute)) for (const name of bucket.sources.keys()) names.add(name);
    }
    // Source names are client data ("__proto__" is a valid one): no prototype to collide with.
    const result: Record<string, WindowsSnapshot> = Object.create(null);
    for (const name of [...names].sort()) {
      result[name] = this.windowsOf(now, (bucket) => bucket.sources.get(name));
    }
    return result;
  }

  /** Drops buckets (and sources) older than the retained hour. */
  prune(now: number): void {
    const oldest = Math.floor(now / MINUTE_MS) - RETAINED_MINUTES + 1;
    for (const minute of this.minutes.keys()) if (minute < oldest) this.minutes.delete(minute);
    for (const [source, minute] of this.sourceLastMinute) if (minute < oldest) this.sourceLastMinute.delete(source);
  }

  /** Number of minute buckets held (for tests and memory metrics). */
  get bucketCount(): number {
    return this.minutes.size;
  }

  /** Number of distinct sources tracked (excluding {@link OTHER_SOURCE}). */
  get sourceCount(): number {
    return this.sourceLastMinute.size;
  }

  /** JSON-safe state, e.g. for Durable Object storage. */
  toJSON(): RollingWindowsData {
    const cellData = (cell: Cell): CellData => ({ n: cell.count, e: cell.errors, s: cell.sketch.toJSON() });
    const minutes = [...this.minutes.entries()]
      .sort(([x], [y]) => x - y)
      .map(([m, bucket]) => {
        const src: Record<string, CellData> = Object.create(null);
        for (const [name, cell] of bucket.sources) src[name] = cellData(cell);
        return { m, t: cellData(bucket.total), src };
      });
    return { v: 1, a: this.relativeAccuracy, maxSources: this.maxSources, minutes };
  }

  /**
   * Restores state saved with {@link RollingWindows.toJSON}.
   * @throws TypeError on malformed data.
   */
  static fromJSON(data: RollingWindowsData): RollingWindows {
    if (typeof data !== 'object' || data === null || data.v !== 1 || !Array.isArray(data.minutes)) {
      throw new TypeError('unsupported rolling windows data');
    }
    const windows = new RollingWindows({ maxSources: data.maxSources, relativeAccuracy: data.a });
    const cellOf = (d: CellData): Cell => {
      if (typeof d !== 'object' || d === null || typeof d.n !== 'number' || typeof d.e !== 'number') {
        throw new TypeError('malformed rolling windows cell');
      }
      return { count: d.n, errors: d.e, sketch: DDSketch.fromJSON(d.s) };
    };
    for (const entry of data.minutes) {
      if (!Number.isInteger(entry.m) || typeof entry.src !== 'object' || entry.src === null) {
        throw new TypeError('malformed rolling windows minute');
      }
      const sources = new Map<string, Cell>();
      for (const [name, cell] of Object.entries(entry.src)) {
        sources.set(name, cellOf(cell));
        if (name !== OTHER_SOURCE) {
          const last = windows.sourceLastMinute.get(name);
          if (last === undefined || entry.m > last) windows.sourceLastMinute.set(name, entry.m);
        }
      }
      windows.minutes.set(entry.m, { total: cellOf(entry.t), sources });
    }
    return windows;
  }

  private newCell(): Cell {
    return { count: 0, errors: 0, sketch: new DDSketch(this.relativeAccuracy) };
  }

  private admitSource(source: string, minute: number): string {
    if (source === OTHER_SOURCE) return OTHER_SOURCE;
    const last = this.sourceLastMinute.get(source);
    if (last === undefined && this.sourceLastMinute.size >= this.maxSources) return OTHER_SOURCE;
    if (last === undefined || minute > last) this.sourceLastMinute.set(source, minute);
    return source;
  }

  private inRange(minute: number, nowMinute: number): boolean {
    return minute <= nowMinute && minute > nowMinute - RETAINED_MINUTES;
  }

  /**
   * One pass from the current minute backwards, merging as it goes and taking
   * each window's stats at its boundary (1, 5, 15, 60 minutes).
   */
  private windowsOf(now: number, pick: (bucket: MinuteBucket) => Cell | undefined): WindowsSnapshot {
    const nowMinute = Math.floor(now / MINUTE_MS);
    // Rates use the time the window has actually covered, so the 1m rate does not
    // collapse at the start of every minute.
    const intoMinuteSec = Math.max(0, (now - nowMinute * MINUTE_MS) / 1000);
    const merged = new DDSketch(this.relativeAccuracy);
    let count = 0;
    let errors = 0;
    let offset = 0;
    const through = (span: number): WindowStats => {
      for (; offset < span; offset++) {
        const bucket = this.minutes.get(nowMinute - offset);
        const cell = bucket ? pick(bucket) : undefined;
        if (!cell) continue;
        count += cell.count;
        errors += cell.errors;
        merged.merge(cell.sketch);
      }
      const seconds = Math.max(1, (span - 1) * 60 + intoMinuteSec);
      return {
        count,
        errors,
        errorRate: count > 0 ? errors / count : 0,
        eventsPerSec: Math.round((count / seconds) * 1000) / 1000,
        p50: merged.quantile(0.5),
        p95: merged.quantile(0.95),
        p99: merged.quantile(0.99),
        latencyCount: merged.count,
        latencySum: merged.sum,
      };
    };
    // Evaluation order matters: each call extends the previous window.
    const m1 = through(WINDOW_MINUTES['1m']);
    const m5 = through(WINDOW_MINUTES['5m']);
    const m15 = through(WINDOW_MINUTES['15m']);
    const h1 = through(WINDOW_MINUTES['1h']);
    return { '1m': m1, '5m': m5, '15m': m15, '1h': h1 };
  }
}
