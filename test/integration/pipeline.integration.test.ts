import { createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '../../workers/consumers';
import { handleDeadLetterMessages } from '../../workers/consumers/dead-letters';
import { handleEventsMessages, retryDelaySeconds } from '../../workers/consumers/events';
import type { EventsMessage, QueuedEvent } from '../../workers/consumers/messages';
import { retention, selfHealingRedrive } from '../../workers/cron/pipeline';
import { parseConfig } from '../../workers/lib/config';
import { PENDING_DEAD_LETTER_PREFIX } from '../../workers/lib/pipeline';
import { consumerContext as sharedConsumerContext } from '../helpers/consumer';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, postEvents, sampleEvent, storedCounts, waitFor } from '../helpers/ingest';
import { createTestUser } from '../helpers/tenants';

const EVENTS_QUEUE = 'pulsestream-events';
/** Nothing listens on port 1: a database that refuses every connection. */
const DEAD_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:1/postgres';

beforeAll(async () => {
  await truncateAll();
});

function consumerContext(databaseUrl?: string): ConsumerContext {
  return sharedConsumerContext({}, databaseUrl ? { DATABASE_URL: databaseUrl } : {});
}

function queuedEvent(id: string, minute: number): QueuedEvent {
  return {
    id,
    timestamp: Date.now() - minute * 60_000,
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'twilio',
    endpoint: 'POST /messages',
    method: 'POST',
    status: minute % 7 === 0 ? 503 : 201,
    latencyMs: 10 + minute,
    country: 'FR',
    region: null,
    city: null,
    colo: 'CDG',
    asn: 5410,
    properties: null,
  };
}

function eventsMessages(tenantId: string, prefix: string, messages: number, perMessage: number) {
  return Array.from({ length: messages }, (_, m) => ({
    id: `${prefix}-msg-${m}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      type: 'events',
      batchId: `${prefix}-batch-${m}`,
      tenantId,
      events: Array.from({ length: perMessage }, (_, i) => queuedEvent(`${prefix}-${m}-${i}`, (m + i) % 30)),
    } satisfies EventsMessage,
  }));
}

describe('end to end: 10,000 events in batches of 100', () => {
  it('stores every event exactly once, with rollup counts equal to the row counts', async () => {
    const t = await createIngestTenant();
    const ids = new Set<string>();
    for (let wave = 0; wave < 10; wave++) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, r) =>
          postEvents(
            t.key,
            JSON.stringify({
              events: Array.from({ length: 100 }, (_, i) =>
                sampleEvent({ status: (wave * 1000 + r * 100 + i) % 10 === 0 ? 500 : 200 }),
              ),
            }),
          ),
        ),
      );
      for (const res of responses) {
        expect(res.status).toBe(202);
        const body = (await res.json()) as { accepted: number; ids: string[] };
        expect(body.accepted).toBe(100);
        for (const id of body.ids) ids.add(id);
      }
    }
    expect(ids.size).toBe(10_000);
    await waitFor('10,000 rows', async () => (await storedCounts(t.tenantId)).events >= 10_000, 90_000);
    const counts = await storedCounts(t.tenantId);
    expect(counts).toEqual({ events: 10_000, rollups: 10_000 });
    const errors = await withDb(async (db) => {
      const r = await db.execute<{ rows: string; rolled: string }>(sql`
        SELECT (SELECT count(*) FROM events WHERE tenant_id = ${t.tenantId} AND status >= 500)::text AS rows,
               (SELECT sum(errors) FROM event_rollups_1m WHERE tenant_id = ${t.tenantId})::text AS rolled`);
      return r.rows[0];
    });
    expect(errors).toEqual({ rows: '1000', rolled: '1000' });
  });
});

describe('events consumer', () => {
  it('acks every message, and a forced redelivery of the same batch changes nothing', async () => {
    const t = await createIngestTenant();
    const messages = eventsMessages(t.tenantId, 'redeliver', 5, 40);
    const first = createMessageBatch<EventsMessage>(EVENTS_QUEUE, messages);
    const cc1 = consumerContext();
    await handleEventsMessages([...first.messages], EVENTS_QUEUE, cc1);
    const result1 = await getQueueResult(first, cc1.ctx);
    expect(result1.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(result1.retryMessages).toEqual([]);
    const before = await storedCounts(t.tenantId);
    expect(before).toEqual({ events: 200, rollups: 200 });
    const rollupsBefore = await rollupSnapshot(t.tenantId);

    const again = createMessageBatch<EventsMessage>(
      EVENTS_QUEUE,
      messages.map((m) => ({ ...m, attempts: 2 })),
    );
    const cc2 = consumerContext();
    await handleEventsMessages([...again.messages], EVENTS_QUEUE, cc2);
    const result2 = await getQueueResult(again, cc2.ctx);
    expect(result2.explicitAcks).toHaveLength(5);
    expect(await storedCounts(t.tenantId)).toEqual(before);
    expect(await rollupSnapshot(t.tenantId)).toEqual(rollupsBefore);
  });

  it('retries with exponential backoff while the database fails', async () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80]);
    const t = await createIngestTenant();
    const messages = eventsMessages(t.tenantId, 'backoff', 2, 10).map((m) => ({ ...m, attempts: 3 }));
    // getQueueResult does not report retry delays, so these messages record what the consumer asks for.
    const calls: string[] = [];
    const recording = messages.map(
      (m) =>
        ({
          ...m,
          ack: () => calls.push(`${m.id}:ack`),
          retry: (o?: QueueRetryOptions) => calls.push(`${m.id}:retry:${o?.delaySeconds}`),
        }) as unknown as Message<EventsMessage>,
    );
    await handleEventsMessages(recording, EVENTS_QUEUE, consumerContext(DEAD_DATABASE_URL));
    expect(calls.sort()).toEqual(['backoff-msg-0:retry:20', 'backoff-msg-1:retry:20']);
  });

  it('dead-letters after the configured attempts; redrive then stores everything: zero lost, zero duplicated', async () => {
    const t = await createIngestTenant();
    const admin = await createTestUser(t.tenantId, 'admin');
    const maxRetries = parseConfig(env).QUEUE_MAX_RETRIES;
    const messages = eventsMessages(t.tenantId, 'dlq', 3, 50);
    // The database fails on every attempt, up to and including the last one.
    for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
      const batch = createMessageBatch<EventsMessage>(
        EVENTS_QUEUE,
        messages.map((m) => ({ ...m, attempts: attempt })),
      );
      const cc = consumerContext(DEAD_DATABASE_URL);
      await handleEventsMessages([...batch.messages], EVENTS_QUEUE, cc);
      const result = await getQueueResult(batch, cc.ctx);
      if (attempt <= maxRetries) {
        expect(result.retryMessages, `attempt ${attempt}`).toHaveLength(3);
      } else {
        // Handed to the dead-letter queue explicitly (with the reason), and acked here.
        expect(result.explicitAcks).toHaveLength(3);
        expect(result.retryMessages).toEqual([]);
      }
    }
    expect((await storedCounts(t.tenantId)).events).toBe(0);

    // The dead-letter consumer (run by the queue) stores them with reason and attempts.
    const listed = await waitForDeadLetters(admin.bearer, 3);
    expect(listed.map((d) => d.events)).toEqual([50, 50, 50]);
    for (const d of listed) {
      expect(d.attempts).toBe(maxRetries + 1);
      expect(d.reason.length).toBeGreaterThan(0);
      expect(d.redrivenAt).toBeNull();
    }

    // Members may not see or redrive them.
    const member = await createTestUser(t.tenantId, 'member');
    const forbidden = await exports.default.fetch('http://ps.test/v1/pipeline/dead-letters', {
      headers: { authorization: member.bearer },
    });
    expect(forbidden.status).toBe(403);

    const redrive = () =>
      exports.default.fetch('http://ps.test/v1/pipeline/redrive', {
        method: 'POST',
        headers: { authorization: admin.bearer },
      });
    const first = await redrive();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ redriven: 3, failed: 0 });
    // Idempotent: nothing is pending any more.
    expect(await (await redrive()).json()).toEqual({ redriven: 0, failed: 0 });

    await waitFor('redriven rows', async () => (await storedCounts(t.tenantId)).events >= 150);
    expect(await storedCounts(t.tenantId)).toEqual({ events: 150, rollups: 150 });
    const ids = await withDb(async (db) => {
      const r = await db.execute<{ id: string }>(sql`SELECT id FROM events WHERE tenant_id = ${t.tenantId}`);
      return r.rows.map((x) => x.id).sort();
    });
    expect(ids).toEqual(messages.flatMap((m) => m.body.events.map((e) => e.id)).sort());
  });

  it('parks dead letters in R2 while the database is down; the cron stores and redrives them once it answers', async () => {
    const t = await createIngestTenant();
    const messages = eventsMessages(t.tenantId, 'r2', 2, 25);
    const letters = messages.map((m) => ({
      ...m,
      id: `${m.id}-dl`,
      body: {
        type: 'dead_letter',
        queue: EVENTS_QUEUE,
        messageId: m.body.batchId,
        tenantId: t.tenantId,
        body: m.body,
        reason: 'database unavailable',
        attempts: 6,
      },
    }));
    const batch = createMessageBatch(`pulsestream-dead-letters`, letters);
    const down = consumerContext(DEAD_DATABASE_URL);
    await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], down);
    const result = await getQueueResult(batch, down.ctx);
    expect(result.explicitAcks).toHaveLength(2);
    const parked = await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX });
    expect(parked.objects.map((o) => o.key).sort()).toEqual(
      messages.map((m) => `${PENDING_DEAD_LETTER_PREFIX}${m.body.batchId}.json`).sort(),
    );

    // While the database is still down, the cron does nothing and loses nothing.
    expect(await selfHealingRedrive(consumerContext(DEAD_DATABASE_URL))).toEqual({ drained: 0, redriven: 0 });
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toHaveLength(2);

    const healed = await selfHealingRedrive(consumerContext());
    expect(healed.drained).toBe(2);
    expect(healed.redriven).toBeGreaterThanOrEqual(2);
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toHaveLength(0);
    await waitFor('healed rows', async () => (await storedCounts(t.tenantId)).events >= 50);
    expect(await storedCounts(t.tenantId)).toEqual({ events: 50, rollups: 50 });
  });
});

describe('retention', () => {
  it("deletes events past each tenant's retention and rollups past 13 months, keeping the rest", async () => {
    const short = await createIngestTenant({ retentionDays: 7 });
    const long = await createIngestTenant({ retentionDays: 90 });
    const day = 86_400_000;
    const now = Date.now();
    await withDb(async (db) => {
      for (const [tenant, ages] of [
        [short.tenantId, [1, 6, 8, 30]],
        [long.tenantId, [1, 30, 89, 91]],
      ] as const) {
        for (const age of ages) {
          await db.execute(sql`
            INSERT INTO events (tenant_id, id, ts, received_at, type, source)
            VALUES (${tenant}, ${`ret-${age}`}, ${new Date(now - age * day).toISOString()}::timestamptz, now(), 'api_call', 'x')`);
        }
      }
      await db.execute(sql`
        INSERT INTO event_rollups_1m (tenant_id, minute, source, endpoint, status_class, country, count, errors,
                                      latency_count, latency_sum)
        VALUES (${long.tenantId}, now() - interval '14 months', 'x', '', 2, '', 1, 0, 0, 0),
               (${long.tenantId}, now() - interval '12 months', 'x', '', 2, '', 1, 0, 0, 0)`);
      await db.execute(sql`
        INSERT INTO event_rollups_agg_1m (tenant_id, level, source, dimension, minute, count, errors, latency_count,
                                          latency_sum)
        VALUES (${long.tenantId}, 'endpoint', 'x', '', now() - interval '14 months', 1, 0, 0, 0),
               (${long.tenantId}, 'endpoint', 'x', '', now() - interval '12 months', 1, 0, 0, 0)`);
    });
    await retention(consumerContext(), new Date(now));
    const left = await withDb(async (db) => {
      const e = await db.execute<{ tenant_id: string; id: string }>(sql`
        SELECT tenant_id, id FROM events WHERE tenant_id IN (${short.tenantId}, ${long.tenantId}) ORDER BY tenant_id, id`);
      const r = await db.execute<{ n: string }>(
        sql`SELECT count(*)::text AS n FROM event_rollups_1m WHERE tenant_id = ${long.tenantId}`,
      );
      const levels = await db.execute<{ n: string }>(
        sql`SELECT count(*)::text AS n FROM event_rollups_agg_1m WHERE tenant_id = ${long.tenantId}`,
      );
      return { events: e.rows, rollups: Number(r.rows[0]?.n), levels: Number(levels.rows[0]?.n) };
    });
    const of = (tenantId: string) =>
      left.events
        .filter((e) => e.tenant_id === tenantId)
        .map((e) => e.id)
        .sort();
    expect(of(short.tenantId)).toEqual(['ret-1', 'ret-6']);
    expect(of(long.tenantId)).toEqual(['ret-1', 'ret-30', 'ret-89']);
    expect(left.rollups).toBe(1);
    expect(left.levels).toBe(1);
  });
});

describe('GET /v1/usage', () => {
  it('serves accepted, rejected, rate-limited and bytes per day, flushed by the gate', async () => {
    const t = await createIngestTenant({ rateLimitPerSec: 0, rateLimitBurst: 10, monthlyEventQuota: 1000 });
    const viewer = await createTestUser(t.tenantId, 'viewer');
    const body = JSON.stringify({ events: [sampleEvent(), sampleEvent({ status: 'bad' }), sampleEvent()] });
    expect((await postEvents(t.key, body)).status).toBe(202); // 2 accepted, 1 rejected
    const tooMany = JSON.stringify({ events: Array.from({ length: 9 }, () => sampleEvent()) });
    expect((await postEvents(t.key, tooMany)).status).toBe(429); // 9 rate-limited
    expect((await postEvents(t.key, 'nope')).status).toBe(400); // a request refused as a whole: 1 rejected
    expect(await env.TENANT_GATE.getByName(t.tenantId).flushUsage()).toBe(1);

    for (const credential of [viewer.bearer, `Bearer ${t.key}`]) {
      const res = await exports.default.fetch('http://ps.test/v1/usage', { headers: { authorization: credential } });
      expect(res.status).toBe(200);
      const usage = (await res.json()) as {
        days: { date: string; accepted: number; rejected: number; rateLimited: number; bytes: number }[];
        plan: { monthlyEvents: number; used: number };
      };
      expect(usage.days).toHaveLength(1);
      expect(usage.days[0]).toMatchObject({
        date: new Date().toISOString().slice(0, 10),
        accepted: 2,
        rejected: 2,
        rateLimited: 9,
        bytes: new TextEncoder().encode(body).length,
      });
      expect(usage.plan).toEqual({ monthlyEvents: 1000, used: 2 });
    }
    // Flushing again writes the same totals: nothing is counted twice.
    await env.TENANT_GATE.getByName(t.tenantId).flushUsage();
    const again = await withDb(async (db) => {
      const r = await db.execute<{ accepted: string }>(
        sql`SELECT accepted::text FROM usage_daily WHERE tenant_id = ${t.tenantId}`,
      );
      return r.rows;
    });
    expect(again).toEqual([{ accepted: '2' }]);
  });

  it('refuses an ingest-only key', async () => {
    const t = await createIngestTenant({ scopes: ['ingest'] });
    const res = await exports.default.fetch('http://ps.test/v1/usage', {
      headers: { authorization: `Bearer ${t.key}` },
    });
    expect(res.status).toBe(403);
  });
});

interface ListedDeadLetter {
  events: number;
  attempts: number;
  reason: string;
  redrivenAt: string | null;
}

async function waitForDeadLetters(bearer: string, n: number): Promise<ListedDeadLetter[]> {
  let data: ListedDeadLetter[] = [];
  await waitFor(`${n} dead letters`, async () => {
    const res = await exports.default.fetch('http://ps.test/v1/pipeline/dead-letters?pending=true', {
      headers: { authorization: bearer },
    });
    expect(res.status).toBe(200);
    data = ((await res.json()) as { data: ListedDeadLetter[] }).data;
    return data.length >= n;
  });
  return data;
}

async function rollupSnapshot(tenantId: string): Promise<unknown[]> {
  return withDb(async (db) => {
    const r = await db.execute(sql`
      SELECT minute, source, endpoint, status_class, country, count, errors, latency_count, latency_sum
      FROM event_rollups_1m WHERE tenant_id = ${tenantId} ORDER BY 1, 2, 3, 4, 5`);
    return r.rows;
  });
}
