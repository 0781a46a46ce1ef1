import { createExecutionContext, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '../../workers/consumers';
import { retention, selfHealingRedrive } from '../../workers/cron/pipeline';
import { enqueueDueReports } from '../../workers/cron/reports';
import { parseConfig } from '../../workers/lib/config';
import { createLogger, type Logger } from '../../workers/lib/logger';
import { consumerContext } from '../helpers/consumer';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';
import { createTestUser } from '../helpers/tenants';

beforeAll(async () => {
  await truncateAll();
});

async function schedule(): Promise<{ tenantId: string; id: string }> {
  const t = await createIngestTenant();
  const { bearer } = await createTestUser(t.tenantId, 'member');
  const res = await exports.default.fetch('http://ps.test/v1/report-schedules', {
    method: 'POST',
    headers: { authorization: bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ cron: '0 * * * *', format: 'csv', range: 'last_1h' }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { tenantId: t.tenantId, id: ((await res.json()) as { id: string }).id };
}

async function scheduleRow(id: string) {
  return withDb(async (db) => {
    const r = await db.execute<{ next_run_at: number | null; reports: number }>(sql`
      SELECT (extract(epoch FROM next_run_at) * 1000)::float8 AS next_run_at,
             (SELECT count(*)::int FROM reports WHERE schedule_id = s.id) AS reports
      FROM report_schedules s WHERE id = ${id}`);
    return r.rows[0];
  });
}

describe('scheduled reports when one schedule cannot be computed', () => {
  it('still enqueues every other tenant’s due run, and stops the broken schedule instead of retrying it each minute', async () => {
    const broken = await schedule();
    const healthy = await schedule();
    const due = new Date('2026-11-30T10:00:00Z');
    // The broken one is due first, with a time zone this runtime does not know (accepted by an older one).
    await withDb(async (db) => {
      await db.execute(sql`UPDATE report_schedules SET next_run_at = ${new Date(due.getTime() - 60_000).toISOString()}::timestamptz,
        timezone = 'Mars/Olympus_Mons' WHERE id = ${broken.id}`);
      await db.execute(
        sql`UPDATE report_schedules SET next_run_at = ${due.toISOString()}::timestamptz WHERE id = ${healthy.id}`,
      );
    });
    const sent: { tenantId: string }[] = [];
    const queue = { send: async (body: { tenantId: string }) => void sent.push(body) } as unknown as Queue;
    const first = await enqueueDueReports(consumerContext({ REPORTS: queue }), due);
    expect(sent.map((m) => m.tenantId).sort()).toEqual([broken.tenantId, healthy.tenantId].sort());
    expect(first).toEqual({ enqueued: 2 });
    // The broken schedule ran its due minute and stops there: the next minute has nothing to do.
    expect(await scheduleRow(broken.id)).toEqual({ next_run_at: null, reports: 1 });
    expect(await scheduleRow(healthy.id)).toEqual({ next_run_at: Date.parse('2026-11-30T11:00:00Z'), reports: 1 });
    expect(await enqueueDueReports(consumerContext({ REPORTS: queue }), new Date(due.getTime() + 60_000))).toEqual({
      enqueued: 0,
    });
  });
});

/** A logger that keeps what it is told, so a test can read the reasons a job logged. */
function capturingLogger(lines: { level: string; msg: string; fields: Record<string, unknown> }[]): Logger {
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, msg, fields });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
    enabled: () => true,
  };
  return logger;
}

describe('the self-healing cron while the database is down', () => {
  it('logs the driver’s reason, not the SQL drizzle wraps it in or "[object ErrorEvent]"', async () => {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const config = { ...parseConfig(env), DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/postgres' };
    const cc: ConsumerContext = { env, ctx: createExecutionContext(), config, logger: capturingLogger(lines) };
    expect(await selfHealingRedrive(cc)).toEqual({ drained: 0, redriven: 0 });
    const down = lines.find((l) => l.msg === 'cron: database down, redrive skipped');
    const reason = String(down?.fields.error);
    expect(reason.length).toBeGreaterThan(0);
    expect(reason).not.toMatch(/Failed query|select 1|\[object /);
  });
});

describe('retention when one tenant keeps its events "forever"', () => {
  it('still deletes every other tenant’s expired events (a retention too long to subtract from now)', async () => {
    const forever = await createIngestTenant({ retentionDays: 2_147_483_647 });
    const short = await createIngestTenant({ retentionDays: 7 });
    const now = Date.now();
    await withDb(async (db) => {
      for (const tenant of [forever.tenantId, short.tenantId]) {
        for (const age of [1, 30]) {
          await db.execute(sql`
            INSERT INTO events (tenant_id, id, ts, received_at, type, source)
            VALUES (${tenant}, ${`ret-${age}`}, ${new Date(now - age * 86_400_000).toISOString()}::timestamptz, now(),
                    'api_call', 'x')`);
        }
      }
    });
    const cc: ConsumerContext = {
      env,
      ctx: createExecutionContext(),
      config: parseConfig(env),
      logger: createLogger('error'),
    };
    await retention(cc, new Date(now));
    const left = await withDb(async (db) => {
      const r = await db.execute<{ tenant_id: string; id: string }>(sql`
        SELECT tenant_id, id FROM events WHERE tenant_id IN (${forever.tenantId}, ${short.tenantId})
        ORDER BY tenant_id, id`);
      return r.rows;
    });
    expect(left.filter((e) => e.tenant_id === short.tenantId).map((e) => e.id)).toEqual(['ret-1']);
    expect(left.filter((e) => e.tenant_id === forever.tenantId).map((e) => e.id)).toEqual(['ret-1', 'ret-30']);
  });
});
