import { createRoute, z } from '@hono/zod-openapi';
import { REPORT_CONTENT_TYPES, reportContentDisposition, verifyDownload } from '@pulsestream/core/reports';
import { getReportById } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { ApiError } from '../../lib/errors';
import { ProblemSchema } from '../../lib/openapi';
import { reportSigningSecret } from '../../lib/report-links';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Loose on purpose: every malformed part is answered with the same 403 as a bad signature, so the route
// tells a prober nothing about which part was wrong or whether the report exists.
const paramsSchema = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const querySchema = z.object({
  exp: z.string().max(32).optional().openapi({ description: 'Expiry, epoch seconds (from the signed URL)' }),
  sig: z.string().max(128).optional().openapi({ description: 'Signature (from the signed URL)' }),
});

export const downloadReportRoute = createRoute({
  method: 'get',
  path: '/v1/reports/{id}/download',
  tags: ['reports'],
  summary: 'Download a ready report through its signed URL (no credential: the signature is the credential)',
  description:
    'Streams the file from R2 with its Content-Type (`text/csv` or `application/vnd.apache.parquet`) and a ' +
    'Content-Disposition attachment name. Single byte ranges are served (206), so Parquet readers can ' +
    'fetch the footer first. An expired, altered or foreign signature, or a report that no longer exists, ' +
    'is answered 403 and nothing else.',
  request: { params: paramsSchema, query: querySchema },
  responses: {
    200: {
      description: 'The file',
      content: {
        'text/csv': { schema: z.string() },
        'application/vnd.apache.parquet': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    206: { description: 'The requested byte range of the file' },
    403: {
      description: 'Invalid, altered, foreign or expired signature, or no such ready report',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
  },
});

const refused = () => new ApiError('forbidden', 'The download link is invalid or has expired.');

/** `GET /v1/reports/:id/download?exp&sig` */
export function registerDownloadReport(app: App): void {
  app.openapi(downloadReportRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { exp, sig } = c.req.valid('query');
    const logger = c.get('logger');
    const services = c.get('services');
    if (!UUID_RE.test(id) || !exp || !sig || !/^\d{1,12}$/.test(exp)) throw refused();
    const expiresAt = Number(exp);
    const now = Math.floor(Date.now() / 1000);
    if (expiresAt <= now) throw refused();
    const secret = reportSigningSecret(services.config);
    const report = await getReportById(services.db(), id);
    // A missing report still pays for a verify, so timing says little about which ids exist.
    const tenantId = report?.tenantId ?? '00000000-0000-0000-0000-000000000000';
    const refusal = await verifyDownload({ reportId: id, tenantId, expiresAt }, sig, secret, now);
    if (refusal || !report || report.status !== 'ready' || !report.objectKey) {
      logger.info('reports: download refused', { report: id, reason: refusal ?? 'not ready or gone' });
      throw refused();
    }
    const range = parseRange(c.req.header('range'));
    const object = await c.env.REPORTS_BUCKET.get(report.objectKey, range ? { range } : {});
    if (!object) {
      logger.error('reports: object missing for a ready report', { report: id, key: report.objectKey });
      throw refused();
    }
    const { contentType } = REPORT_CONTENT_TYPES[report.format];
    const headers = new Headers({
      'content-type': contentType,
      'content-disposition': reportContentDisposition(report.id, report.format),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
      etag: object.httpEtag,
    });
    const served = object.range as { offset?: number; length?: number } | undefined;
    if (range && served && served.offset !== undefined && served.length !== undefined) {
      headers.set('content-range', `bytes ${served.offset}-${served.offset + served.length - 1}/${object.size}`);
      headers.set('content-length', String(served.length));
      return new Response(object.body, { status: 206, headers });
    }
    headers.set('content-length', String(object.size));
    return new Response(object.body, { status: 200, headers });
  });
}

/**
 * One `bytes=` range as R2 takes it; anything else (several ranges, other units, garbage) is ignored and the
 * whole file served, as RFC 9110 allows.
 */
export function parseRange(header: string | undefined): R2Range | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') return Number(last) > 0 ? { suffix: Number(last) } : undefined;
  const offset = Number(first);
  if (last === '') return { offset };
  const end = Number(last);
  return end >= offset ? { offset, length: end - offset + 1 } : undefined;
}
