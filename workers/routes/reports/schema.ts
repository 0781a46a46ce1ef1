import { z } from '@hono/zod-openapi';
import { REPORT_FORMATS } from '@pulsestream/core/reports';
import type { Report, ReportFilter } from '@pulsestream/db';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../lib/errors';
import { timeParam } from '../metrics/schema';

/** Largest JSON body the report routes read; a report request is a few hundred bytes. */
export const REPORT_BODY_LIMIT = 16 * 1024;

/** Refuses an oversized body while reading it (413 problem), before JSON parsing. */
export const reportBodyLimit = bodyLimit({
  maxSize: REPORT_BODY_LIMIT,
  onError: () => {
    throw new ApiError('payload_too_large', `The request body exceeds ${REPORT_BODY_LIMIT} bytes.`);
  },
});

/** True when `value` has no control characters and no unpaired UTF-16 surrogates (Postgres text refuses both). */
export function isStorableText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = value.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

const text = (max: number) =>
  z.string().min(1).max(max).refine(isStorableText, 'must not contain control characters or unpaired surrogates');

/** A time in a body: ISO 8601 or epoch milliseconds (years 1–9999; the handler checks the range). */
export const bodyTime = z
  .union([timeParam, z.number().int().min(-62_135_596_800_000).max(253_402_300_799_999)])
  .transform((v) => (v instanceof Date ? v : new Date(v)))
  .openapi({ type: 'string', example: '2026-11-01T00:00:00Z', description: 'ISO 8601 or epoch milliseconds' });

export const ReportFilterSchema = z
  .strictObject({
    source: text(256).optional(),
    endpoint: text(512).optional(),
    type: text(64).optional(),
    status: z
      .string()
      .regex(/^([1-5]\d\d|[1-5]xx)$/, 'must be a status code (e.g. 503) or a class (e.g. 5xx)')
      .optional()
      .openapi({ example: '5xx' }),
  })
  .openapi('ReportFilter');

export type ReportFilterInput = z.infer<typeof ReportFilterSchema>;

/** The API's filter shape → the data layer's. */
export function toReportFilter(f: ReportFilterInput | undefined): ReportFilter {
  const out: ReportFilter = {};
  if (!f) return out;
  if (f.source !== undefined) out.source = f.source;
  if (f.endpoint !== undefined) out.endpoint = f.endpoint;
  if (f.type !== undefined) out.type = f.type;
  if (f.status !== undefined) {
    out.status = f.status.endsWith('xx') ? { class: Number(f.status.charAt(0)) } : { exact: Number(f.status) };
  }
  return out;
}

/** The data layer's filter → the API's shape. */
export function presentFilter(f: ReportFilter): ReportFilterInput {
  const out: ReportFilterInput = {};
  if (f.source !== undefined) out.source = f.source;
  if (f.endpoint !== undefined) out.endpoint = f.endpoint;
  if (f.type !== undefined) out.type = f.type;
  if (f.status) out.status = 'exact' in f.status ? String(f.status.exact) : `${f.status.class}xx`;
  return out;
}

export const CreateReportRequestSchema = z
  .strictObject({
    from: bodyTime,
    to: bodyTime,
    format: z.enum(REPORT_FORMATS),
    filter: ReportFilterSchema.optional(),
  })
  .openapi('CreateReportRequest');

export const ReportStatusSchema = z.enum(['queued', 'running', 'ready', 'failed']);

export const ReportSchema = z
  .object({
    id: z.uuid(),
    status: ReportStatusSchema,
    format: z.enum(REPORT_FORMATS),
    from: z.string(),
    to: z.string(),
    filter: ReportFilterSchema,
    scheduleId: z.uuid().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    rows: z.number().int().optional(),
    bytes: z.number().int().optional(),
    downloadUrl: z.string().optional().openapi({
      description: 'Signed URL that needs no credential; valid until expiresAt',
    }),
    expiresAt: z.string().optional(),
    error: z.string().optional(),
  })
  .openapi('Report');

export const CreatedReportSchema = z.object({ id: z.uuid(), status: z.literal('queued') }).openapi('CreatedReport');

/** A report as the API shows it, without the download link (the get route adds that). */
export function presentReport(r: Report) {
  return {
    id: r.id,
    status: r.status,
    format: r.format,
    from: r.from.toISOString(),
    to: r.to.toISOString(),
    filter: presentFilter(r.filter),
    scheduleId: r.scheduleId,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    ...(r.status === 'ready' && r.rows !== null ? { rows: r.rows } : {}),
    ...(r.status === 'ready' && r.bytes !== null ? { bytes: r.bytes } : {}),
    ...(r.status === 'failed' && r.error !== null ? { error: r.error } : {}),
  };
}
