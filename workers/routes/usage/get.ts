import { createRoute, z } from '@hono/zod-openapi';
import { findTenantPlan, listUsageDays, sumAcceptedSince } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { calendarDateParam, timeParam } from '../../lib/query-params';

/** A day, or an instant whose UTC day is meant. */
const dayOrTime = z
  .union([calendarDateParam, timeParam.transform((d) => d.toISOString().slice(0, 10))], {
    error: 'must be a real date (YYYY-MM-DD) or an ISO 8601 date-time, between years 1 and 9999',
  })
  .optional();

const usageResponse = z
  .object({
    days: z.array(
      z.object({
        date: z.string(),
        accepted: z.number().int(),
        rejected: z.number().int(),
        rateLimited: z.number().int(),
        bytes: z.number().int(),
      }),
    ),
    plan: z.object({ monthlyEvents: z.number().int(), used: z.number().int() }),
  })
  .openapi('Usage');

const route = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['usage'],
  summary: 'Ingestion accounting per UTC day, and the monthly quota',
  description:
    'Counts come from the TenantGate, which flushes them to the database about every 10 s: the latest ' +
    'seconds may not be included yet. `accepted` counts events handed to the pipeline; `rejected` events ' +
    'refused by validation (a request refused as a whole counts as one); `rateLimited` events refused by a ' +
    'rate limit or the quota; `bytes` the decompressed bodies of admitted requests.',
  middleware: [authenticate({ allow: ['user', 'api_key'], scope: 'read' })] as const,
  request: { query: z.object({ from: dayOrTime, to: dayOrTime }) },
  responses: { 200: { description: 'Usage', content: { 'application/json': { schema: usageResponse } } } },
});

const MAX_RANGE_DAYS = 400;

/** `GET /v1/usage?from&to` (user token or read key); defaults to the current UTC month. */
export function registerGetUsage(app: App): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const query = c.req.valid('query');
    const today = new Date().toISOString().slice(0, 10);
    const monthStart = `${today.slice(0, 7)}-01`;
    const from = query.from ?? monthStart;
    const to = query.to ?? today;
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
      throw new ApiError('validation_failed', '`from` and `to` must be valid dates.');
    }
    if (toMs < fromMs) throw new ApiError('validation_failed', '`to` must not be before `from`.');
    if (toMs - fromMs > MAX_RANGE_DAYS * 86_400_000) {
      throw new ApiError('validation_failed', `The range may span at most ${MAX_RANGE_DAYS} days.`);
    }
    const db = c.get('services').db();
    const [days, plan, used] = await Promise.all([
      listUsageDays(db, tenantId, from, to),
      findTenantPlan(db, tenantId),
      sumAcceptedSince(db, tenantId, monthStart),
    ]);
    if (!plan) throw new ApiError('not_found', 'The tenant does not exist.');
    return c.json(
      {
        days: days.map((d) => ({
          date: d.day,
          accepted: d.accepted,
          rejected: d.rejected,
          rateLimited: d.rateLimited,
          bytes: d.bytes,
        })),
        plan: { monthlyEvents: plan.monthlyEventQuota, used },
      },
      200,
    );
  });
}
