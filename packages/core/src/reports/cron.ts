/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC or in an IANA
 * time zone through Intl. Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists, and the
 * names JAN–DEC and SUN–SAT; day-of-week 7 is Sunday too. As in Vixie cron, when both day fields are
 * restricted a day matches if either does.
 */
export interface CronSchedule {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

export class CronError extends Error {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** offset of names[0] */
  nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function parseValue(text: string, spec: FieldSpec): number {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw new CronError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
    return n;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) throw new CronError(`${spec.name}: "${text}" is not a value`);
  return index + (spec.nameBase ?? 0);
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!match) throw new CronError(`${spec.name}: "${part}" is not a cron term`);
    const [, range = '', stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new CronError(`${spec.name}: step must be at least 1`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', ...rest] = range.split('-');
      if (rest.length > 0) throw new CronError(`${spec.name}: "${range}" is not a range`);
      lo = parseValue(a, spec);
      hi = parseValue(b, spec);
      if (lo > hi) throw new CronError(`${spec.name}: range ${range} runs backwards`);
    } else {
      lo = parseValue(range, spec);
      // `5/15` means from 5 to the end in steps of 15, as in Vixie cron.
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted: text !== '*' };
}

/** Parses a five-field cron expression; throws `CronError` saying which field is wrong. */
export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (expression.length > 200 || fields.length !== 5) {
    throw new CronError('a cron expression has five fields: minute hour day-of-month month day-of-week');
  }
  const [m, h, dom, mon, dow] = fields.map((f, i) => parseField(f, FIELDS[i] as FieldSpec)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  if (dow.values.has(7)) {
    dow.values.delete(7);
    dow.values.add(0);
  }
  return {
    minutes: m.values,
    hours: h.values,
    daysOfMonth: dom.values,
    months: mon.values,
    daysOfWeek: dow.values,
    domRestricted: dom.restricted,
    dowRestricted: dow.restricted,
  };
}

/** Wall-clock fields of an instant in a time zone. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is UTC or an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `instant` in `timeZone`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  if (timeZone === 'UTC') {
    return {
      year: instant.getUTCFullYear(),
      month: instant.getUTCMonth() + 1,
      day: instant.getUTCDate(),
      hour: instant.getUTCHours(),
      minute: instant.getUTCMinutes(),
      weekday: instant.getUTCDay(),
    };
  }
  const out: LocalTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, weekday: 0 };
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type === 'weekday') out.weekday = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'year' || part.type === 'month' || part.type === 'day') out[part.type] = Number(part.value);
    else if (part.type === 'hour' || part.type === 'minute') out[part.type] = Number(part.value);
  }
  return out;
}

function dayMatches(s: CronSchedule, t: LocalTime): boolean {
  const dom = s.daysOfMonth.has(t.day);
  const dow = s.daysOfWeek.has(t.weekday);
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  return dom && dow;
}

/** True when the schedule fires at the minute containing `instant`, read in `timeZone`. */
export function cronMatches(s: CronSchedule, instant: Date, timeZone = 'UTC'): boolean {
  const t = localTime(instant, timeZone);
  return s.months.has(t.month) && dayMatches(s, t) && s.hours.has(t.hour) && s.minutes.has(t.minute);
}

const MINUTE = 60_000;
/** How far ahead `nextCronTime` looks: far enough for 29 February on a given weekday. */
export const CRON_HORIZON_MS = 8 * 366 * 24 * 60 * MINUTE;

/**
 * The first minute strictly after `after` at which the schedule fires in `timeZone`, or null when it never
 * fires within the horizon (e.g. `0 0 31 2 *`). Walks wall-clock fields, skipping a whole hour at a time when
 * the day or hour cannot match, so a yearly schedule costs about 9,000 steps per year searched. Local times
 * skipped by a DST jump never fire; a repeated local time fires at its first occurrence only, because the
 * walk moves forward in real time and each real minute is tested once.
 */
export function nextCronTime(s: CronSchedule, after: Date, timeZone = 'UTC'): Date | null {
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const end = t + CRON_HORIZON_MS;
  const stampOf = (l: LocalTime) => `${l.year}-${l.month}-${l.day} ${l.hour}:${l.minute}`;
  // The wall-clock minute of `after` itself: after a fall-back, the same local time recurs an hour later and
  // must not fire twice.
  const previous = stampOf(localTime(new Date(t - MINUTE), timeZone));
  while (t <= end) {
    const local = localTime(new Date(t), timeZone);
    if (!s.months.has(local.month) || !dayMatches(s, local) || !s.hours.has(local.hour)) {
      t += (60 - local.minute) * MINUTE;
      continue;
    }
    if (s.minutes.has(local.minute) && stampOf(local) !== previous) return new Date(t);
    t += MINUTE;
  }
  return null;
}
