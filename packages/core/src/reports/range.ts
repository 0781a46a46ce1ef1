/** Longest range an on-demand report may cover. */
export const MAX_REPORT_RANGE_MS = 31 * 24 * 60 * 60 * 1000;

/** The relative ranges a schedule can name, in milliseconds. */
export const SCHEDULE_RANGES = {
  last_1h: 60 * 60 * 1000,
  last_24h: 24 * 60 * 60 * 1000,
  last_7d: 7 * 24 * 60 * 60 * 1000,
} as const;

export type ScheduleRange = keyof typeof SCHEDULE_RANGES;

/** Earliest and latest instants Postgres and ISO 8601 share without ambiguity: years 1 to 9999. */
// 0001-01-01T00:00:00Z (Date.UTC would read year 1 as 1901).
const MIN_TIME = -62_135_596_800_000;
// 10000-01-01T00:00:00Z, itself refused: a time in year 10000 has no four-digit ISO form.
const MAX_TIME = 253_402_300_800_000;

/** Why a requested range is refused, or null when it is acceptable. */
export function checkReportRange(from: Date, to: Date): string | null {
  const f = from.getTime();
  const t = to.getTime();
  if (Number.isNaN(f) || Number.isNaN(t)) return 'from and to must be valid times';
  if (f < MIN_TIME || t >= MAX_TIME) return 'from and to must lie in the years 1 to 9999';
  if (f >= t) return '"from" must be before "to"';
  if (t - f > MAX_REPORT_RANGE_MS) return 'the range may cover at most 31 days';
  return null;
}

/**
 * The window a scheduled run covers: the `range` ending at the minute the run was due, so a run that starts
 * late (a queue backlog) still reports exactly the period it was scheduled for.
 */
export function resolveScheduleRange(range: ScheduleRange, dueAt: Date): { from: Date; to: Date } {
  const to = Math.floor(dueAt.getTime() / 60_000) * 60_000;
  return { from: new Date(to - SCHEDULE_RANGES[range]), to: new Date(to) };
}
