/**
 * Splitting one minute of {@link RollingWindowsData} into stored parts of bounded size, and joining them back.
 *
 * A minute holds the tenant-wide cell and up to `maxSources` + 1 source cells, each with a latency sketch of up
 * to 2,048 buckets (ddsketch's `MAX_BUCKETS`): with latencies spread over the accepted range, 200 sources make
 * one minute 2.25 MB of JSON (`scripts/bench/stored-sizes.ts`), above Durable Object SQLite's 2 MB limit on a
 * value. Parts keep each stored value under {@link MAX_PART_BYTES} (UTF-8), whatever the sources' names and
 * sketches.
 */
import type { CellData, RollingWindowsData } from './rolling-windows';
import { utf8Length } from './utf8';

/** One minute as {@link RollingWindowsData} holds it. */
export type MinuteData = RollingWindowsData['minutes'][number];

/** One stored part of a minute: the tenant-wide cell travels in part 0 only. */
export interface MinutePart {
  m: number;
  t?: CellData;
  src: Record<string, CellData>;
}

/** Largest stored part, in UTF-8 bytes: half the platform's 2 MB value limit. */
export const MAX_PART_BYTES = 1024 * 1024;

/**
 * Splits a minute into parts whose JSON is at most `maxBytes` UTF-8 bytes each, sources in their order.
 * @throws RangeError if a single cell cannot fit (cannot happen with the sketch's bucket bound and the source
 * name limit, but a part must never silently exceed the bound).
 */
export function splitMinute(minute: MinuteData, maxBytes = MAX_PART_BYTES): string[] {
  const rest = `{"m":${minute.m},"src":{`;
  const parts: string[] = [];
  let prefix = `{"m":${minute.m},"t":${JSON.stringify(minute.t)},"src":{`;
  let entries: string[] = [];
  let size = utf8Length(prefix) + 2;
  const flush = () => {
    parts.push(`${prefix}${entries.join(',')}}}`);
    prefix = rest;
    entries = [];
    size = utf8Length(rest) + 2;
  };
  for (const [name, cell] of Object.entries(minute.src)) {
    const entry = `${JSON.stringify(name)}:${JSON.stringify(cell)}`;
    const bytes = utf8Length(entry) + 1;
    if (size + bytes > maxBytes && (entries.length > 0 || parts.length === 0)) flush();
    if (size + bytes > maxBytes) throw new RangeError(`a source cell of minute ${minute.m} exceeds ${maxBytes} bytes`);
    entries.push(entry);
    size += bytes;
  }
  flush();
  return parts;
}

/**
 * Joins the parts of one minute (any order) into the minute.
 * @throws TypeError when the parts disagree on the minute, lack the tenant-wide cell or name a source twice.
 */
export function joinMinuteParts(parts: readonly MinutePart[]): MinuteData {
  const first = parts.find((p) => p.t !== undefined);
  if (!first?.t) throw new TypeError('rolling windows minute without its tenant-wide part');
  const src: Record<string, CellData> = Object.create(null);
  for (const part of parts) {
    if (part.m !== first.m || typeof part.src !== 'object' || part.src === null) {
      throw new TypeError(`malformed part of rolling windows minute ${first.m}`);
    }
    for (const [name, cell] of Object.entries(part.src)) {
      if (Object.hasOwn(src, name)) throw new TypeError(`source stored twice in minute ${first.m}`);
      src[name] = cell;
    }
  }
  return { m: first.m, t: first.t, src };
}
