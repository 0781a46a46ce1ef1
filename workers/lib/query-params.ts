import { z } from '@hono/zod-openapi';
import { type Checked, checkFilterText, parseCalendarDate, parseInstant } from '@pulsestream/core/query-values';

/** Turns a core check into a zod transform: a refused value becomes an issue at its own path (a 4xx). */
function checked<T>(check: (value: string) => Checked<T>) {
  return (value: string, ctx: z.RefinementCtx): T => {
    const result = check(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message });
    return z.NEVER;
  };
}

/** A time query parameter: ISO 8601 or epoch milliseconds, a real date in years 1–9999. */
export const timeParam = z
  .string()
  .max(40)
  .transform(checked(parseInstant))
  .openapi({ type: 'string', example: '2026-11-01T00:00:00Z' });

/** A calendar day `YYYY-MM-DD` that exists. */
export const calendarDateParam = z
  .string()
  .max(10)
  .transform(checked(parseCalendarDate))
  .openapi({ type: 'string', example: '2026-11-01' });

/** A text filter compared with stored values: no control characters, NUL or lone surrogates. */
export const filterText = (max: number) =>
  z.string().min(1).max(max).transform(checked(checkFilterText)).openapi({ type: 'string' });
