import { createRoute, z } from '@hono/zod-openapi';
import { pingDatabase } from '@pulsestream/db';
import type { App } from '../../lib/app';

const checkSchema = z.object({
  status: z.enum(['ok', 'fail']),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
});
const healthSchema = z
  .object({ status: z.enum(['ok', 'degraded']), checks: z.object({ db: checkSchema, queue: checkSchema }) })
  .openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Liveness and dependency checks (no auth)',
  responses: {
    200: { description: 'All checks pass', content: { 'application/json': { schema: healthSchema } } },
    503: { description: 'A dependency is failing', content: { 'application/json': { schema: healthSchema } } },
  },
});

const DB_TIMEOUT_MS = 5_000;

/** `GET /health`: the database answers a query, and the events queue binding is present. */
export function registerHealth(app: App): void {
  app.openapi(route, async (c) => {
    const { db, logger } = { db: c.get('services').db, logger: c.get('logger') };
    const started = Date.now();
    let dbCheck: z.infer<typeof checkSchema>;
    try {
      await withTimeout(pingDatabase(db()), DB_TIMEOUT_MS);
      dbCheck = { status: 'ok', latencyMs: Date.now() - started };
    } catch (err) {
      logger.warn('health: database check failed', { error: (err as Error).message });
      dbCheck = { status: 'fail', detail: 'database did not answer' };
    }
    // Queues have no ping; a producer binding that is present is what the ingest path needs.
    const queueCheck: z.infer<typeof checkSchema> =
      typeof c.env.EVENTS?.sendBatch === 'function'
        ? { status: 'ok' }
        : { status: 'fail', detail: 'EVENTS queue binding missing' };
    const ok = dbCheck.status === 'ok' && queueCheck.status === 'ok';
    return c.json(
      { status: ok ? 'ok' : 'degraded', checks: { db: dbCheck, queue: queueCheck } } as const,
      ok ? 200 : 503,
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
