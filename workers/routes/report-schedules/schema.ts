import { z } from '@hono/zod-openapi';
import {
  CronError,
  isValidTimeZone,
  nextCronTime,
  parseCron,
  REPORT_FORMATS,
  SCHEDULE_RANGES,
  type ScheduleRange,
} from '@pulsestream/core/reports';
import type { ReportSchedule } from '@pulsestream/db';
import { ApiError } from '../../lib/errors';
import { isStorableText, presentFilter, ReportFilterSchema } from '../reports/schema';

/** At most this many channels per schedule. */
export const MAX_SCHEDULE_CHANNELS = 20;

const RANGES = Object.keys(SCHEDULE_RANGES) as [ScheduleRange, ...ScheduleRange[]];

export const CreateReportScheduleRequestSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(isStorableText, 'must not contain control characters or unpaired surrogates')
      .optional(),
    cron: z
      .string()
      .max(200)
      .openapi({ example: '0 7 * * 1-5', description: 'Five fields: minute hour day-of-month month day-of-week' }),
    timezone: z
      .string()
      .max(64)
      .default('UTC')
      .openapi({ example: 'Europe/Berlin', description: 'IANA time zone the cron is read in; default UTC' }),
    format: z.enum(REPORT_FORMATS),
    range: z.enum(RANGES).openapi({ description: 'The window each run covers, ending at the minute it was due' }),
    channelIds: z
      .array(z.uuid())
      .max(MAX_SCHEDULE_CHANNELS)
      .default([])
      .refine((ids) => new Set(ids.map((i) => i.toLowerCase())).size === ids.length, 'channel ids must not repeat')
      .openapi({ description: 'Alerting channels told when a run is ready (report.ready) or failed (report.failed)' }),
    filter: ReportFilterSchema.optional(),
    enabled: z.boolean().default(true),
  })
  .openapi('CreateReportScheduleRequest');

export const UpdateReportScheduleRequestSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(isStorableText, 'must not contain control characters or unpaired surrogates')
      .nullable()
      .optional(),
    cron: z.string().max(200).optional(),
    timezone: z.string().max(64).optional(),
    format: z.enum(REPORT_FORMATS).optional(),
    range: z.enum(RANGES).optional(),
    channelIds: z
      .array(z.uuid())
      .max(MAX_SCHEDULE_CHANNELS)
      .refine((ids) => new Set(ids.map((i) => i.toLowerCase())).size === ids.length, 'channel ids must not repeat')
      .optional()
      .openapi({ description: 'Alerting channels told when a run is ready (report.ready) or failed (report.failed)' }),
    filter: ReportFilterSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('UpdateReportScheduleRequest');

export const ReportScheduleSchema = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    cron: z.string(),
    timezone: z.string(),
    format: z.enum(REPORT_FORMATS),
    range: z.enum(RANGES),
    channelIds: z.array(z.uuid()),
    filter: ReportFilterSchema,
    enabled: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ReportSchedule');

export const ReportScheduleListSchema = z.object({ data: z.array(ReportScheduleSchema) }).openapi('ReportScheduleList');

/**
 * Checks a cron expression and time zone and returns the first due minute after `now`; a schedule that would
 * never fire (e.g. 31 February) is refused rather than stored dead.
 */
export function firstRun(cron: string, timezone: string, now: Date): Date {
  if (!isValidTimeZone(timezone)) {
    throw new ApiError('validation_failed', 'The request body is invalid.', {
      errors: [{ path: 'timezone', message: 'must be UTC or an IANA time zone name, e.g. Europe/Berlin' }],
    });
  }
  let next: Date | null;
  try {
    next = nextCronTime(parseCron(cron), now, timezone);
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    throw new ApiError('validation_failed', 'The request body is invalid.', {
      errors: [{ path: 'cron', message: err.message }],
    });
  }
  if (!next) {
    throw new ApiError('validation_failed', 'The request body is invalid.', {
      errors: [{ path: 'cron', message: 'the expression never fires' }],
    });
  }
  return next;
}

export function presentSchedule(s: ReportSchedule) {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    format: s.format,
    range: s.range,
    channelIds: s.channelIds,
    filter: presentFilter(s.filter),
    enabled: s.enabled,
    nextRunAt: s.nextRunAt?.toISOString() ?? null,
    lastRunAt: s.lastRunAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
  };
}
