/**
 * The minute series one alert filter is evaluated on: per minute, count, errors and a latency sketch.
 *
 * A rule's window of w minutes is evaluated as a sliding window: the last w whole minutes plus the current
 * partial one, with counts scaled to w minutes by the time covered. Evaluating only "the current minute and the
 * previous w − 1" (as the live windows do) would empty a 1m window at every minute boundary, so a rule would see
 * "no data" — and recover, or stop pending — once a minute. Rates and percentiles need no scaling.
 * `absent` looks at raw counts: no event in the whole span means none for at least the window.
 */
import { DDSketch, type SketchData } from '../ddsketch';
import { emptyWindowStats, isErrorEvent, MAX_FUTURE_SKEW_MS, type WindowStats } from '../rolling-windows';

const MINUTE_MS = 60_000;
/** The longest window (1h) plus the partial minute. */
export const SERIES_MINUTES = 61;

interface Bucket {
  count: number;
  errors: number;
  sketch: DDSketch;
}

export interface SeriesMinuteData {
  m: number;
  n: number;
  e: number;
  s: SketchData;
}

export interface SeriesEvent {
  timestamp: number;
  type?: string | undefined;
  status?: number | null | undefined;
  latencyMs?: number | null | undefined;
}

export class AlertSeries {
  private readonly buckets = new Map<number, Bucket>();

  /**
   * Counts an event in its minute (a slightly future one in the current minute). Events older than the series or
   * more than a minute ahead are ignored. Returns the minute it was counted in, or null.
   */
  add(e: SeriesEvent, now: number): number | null {
    if (!Number.isFinite(e.timestamp) || e.timestamp > now + MAX_FUTURE_SKEW_MS) return null;
    const nowMinute = Math.floor(now / MINUTE_MS);
    const minute = Math.min(Math.floor(e.timestamp / MINUTE_MS), nowMinute);
    if (minute <= nowMinute - SERIES_MINUTES) return null;
    let b = this.buckets.get(minute);
    if (!b) {
      this.prune(now);
      b = { count: 0, errors: 0, sketch: new DDSketch(0.01) };
      this.buckets.set(minute, b);
    }
    b.count++;
    if (isErrorEvent(e)) b.errors++;
    const l = e.latencyMs;
    if (typeof l === 'number' && Number.isFinite(l) && l >= 0) b.sketch.add(l);
    return minute;
  }

  /** Stats over `[start, end)` minutes, scaled so count/errors are per `scaleToSec` seconds when given. */
  private over(startMinute: number, endMinute: number, coveredSec: number, scaleToSec: number | null): WindowStats {
    const merged = new DDSketch(0.01);
    let count = 0;
    let errors = 0;
    for (let m = startMinute; m < endMinute; m++) {
      const b = this.buckets.get(m);
      if (!b) continue;
      count += b.count;
      errors += b.errors;
      merged.merge(b.sketch);
    }
    if (count === 0 && merged.count === 0) return emptyWindowStats();
    const scale = scaleToSec === null ? 1 : scaleToSec / coveredSec;
    return {
      count: count * scale,
      errors: errors * scale,
      errorRate: count > 0 ? errors / count : 0,
      eventsPerSec: count / coveredSec,
      p50: merged.quantile(0.5),
      p95: merged.quantile(0.95),
      p99: merged.quantile(0.99),
      latencyCount: merged.count,
      latencySum: merged.sum,
    };
  }

  /** The sliding window of `minutes` at `now` (last whole minutes plus the current partial one, scaled). */
  sliding(now: number, minutes: number): WindowStats {
    const nowMinute = Math.floor(now / MINUTE_MS);
    const covered = minutes * 60 + Math.max(1, (now - nowMinute * MINUTE_MS) / 1000);
    return this.over(nowMinute - minutes, nowMinute + 1, covered, minutes * 60);
  }

  /** The `minutes` whole minutes ending with minute `lastMinute` (inclusive), unscaled. */
  completed(lastMinute: number, minutes: number): WindowStats {
    return this.over(lastMinute - minutes + 1, lastMinute + 1, minutes * 60, null);
  }

  prune(now: number): void {
    const oldest = Math.floor(now / MINUTE_MS) - SERIES_MINUTES + 1;
    for (const m of this.buckets.keys()) if (m < oldest) this.buckets.delete(m);
  }

  /** One minute's data for a checkpoint, or null when the minute is empty. */
  minuteData(minute: number): SeriesMinuteData | null {
    const b = this.buckets.get(minute);
    return b ? { m: minute, n: b.count, e: b.errors, s: b.sketch.toJSON() } : null;
  }

  /** Restores a checkpointed minute. @throws TypeError on malformed data */
  loadMinute(d: SeriesMinuteData): void {
    if (!Number.isInteger(d?.m) || typeof d.n !== 'number' || typeof d.e !== 'number') {
      throw new TypeError('malformed series minute');
    }
    this.buckets.set(d.m, { count: d.n, errors: d.e, sketch: DDSketch.fromJSON(d.s) });
  }
}
