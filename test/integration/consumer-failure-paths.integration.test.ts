/**
 * Failure paths of the queue consumers and of redrive: what happens to the other messages of a batch when one
 * fails in an unexpected way, and whether every dead letter can go back to where it came from.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { MAX_DELIVERY_ATTEMPTS } from '@pulsestream/core/notifications/delivery';
import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import type { ReportJobMessage } from '@pulsestream/core/reports';
import {
  claimDeadLetters,
  createReport,
  createReportSchedule,
  type DeadLetterInsert,
  storeDeadLetters,
} from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_RETRIES, handleDeadLetterMessages } from '../../workers/consumers/dead-letters';
import { handleEventsMessages } from '../../workers/consumers/events';
import type { DeadLetterMessage, EventsMessage, QueuedEvent } from '../../workers/consumers/messages';
import { handleNotifyMessages } from '../../workers/consumers/notifications';
import { handleReportMessages, runReportJob } from '../../workers/consumers/reports';
import { redriveDeadLetters } from '../../workers/lib/pipeline';
import { createServices } from '../../workers/lib/services';
import { consumerContext } from '../helpers/consumer';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';
import { queuedEvent } from '../helpers/queued-event';
import { createTestUser } from '../helpers/tenants';

const RECEIVER = (env.DNS_RESOLVER_URL as string).replace(/\/dns-query$/, '');
/** Nothing listens on port 1: a database that refuses every connection. */
const DEAD_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:1/postgres';

beforeAll(async () => {
  await truncateAll();
});

/** A queue whose every send fails, as a queue does during an outage. */
const downQueue = {
  send: () => Promise.reject(new Error('queue unavailable')),
  sendBatch: () => Promise.reject(new Error('queue unavailable')),
} as unknown as Queue;

/** A queue that records what it was sent. */
function recordingQueue(into: unknown[]): Queue {
  return {
    send: async (body: unknown) => void into.push(body),
    sendBatch: async (batch: Iterable<{ body: unknown }>) => void into.push(...[...batch].map((m) => m.body)),
  } as unknown as Queue;
}

/** A queued report of a (disabled) schedule with one channel, as the cron would have made it. */
async function scheduledReport(tenantId: string, channelId: string): Promise<{ id: string }> {
  return withDb(async (db) => {
    const schedule = await createReportSchedule(db, {
      tenantId,
      name: null,
      cron: '0 0 * * *',
      timezone: 'UTC',
      format: 'csv',
      range: 'last_24h',
      filter: {},
      channelIds: [channelId],
      enabled: false,
      nextRunAt: null,
      createdBy: null,
    });
    const created = await createReport(db, {
      tenantId,
      format: 'csv',
      from: new Date(Date.now() - 3_600_000),
      to: new Date(),
      filter: {},
      requestedBy: null,
    });
    await db.execute(sql`UPDATE reports SET schedule_id = ${schedule.id} WHERE id = ${created.id}`);
    return created;
  });
}

/** The report's status, and whether its notifications were handed to the queue. */
async function reportState(id: string): Promise<{ status: string; notified: boolean } | undefined> {
  const { rows } = await withDb((db) =>
    db.execute<{ status: string; notified: boolean }>(
      sql`SELECT status, notified_at IS NOT NULL AS notified FROM reports WHERE id = ${id}`,
    ),
  );
  return rows[0];
}

async function storedIds(tenantId: string): Promise<string[]> {
  return withDb(async (db) => {
    const r = await db.execute<{ id: string }>(sql`SELECT id FROM events WHERE tenant_id = ${tenantId} ORDER BY id`);
    return r.rows.map((row) => row.id);
  });
}

describe('the events consumer', () => {
  it('stores and acks every tenant when a malformed, redriven message holds a null event', async () => {
    const a = await createIngestTenant();
    const b = await createIngestTenant();
    const messages = [
      {
        id: 'msg-a',
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: 'events',
          batchId: 'fp-a',
          tenantId: a.tenantId,
          events: [null as unknown as QueuedEvent, queuedEvent('fp-a-1')],
        } satisfies EventsMessage,
      },
      {
        id: 'msg-b',
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: 'events',
          batchId: 'fp-b',
          tenantId: b.tenantId,
          events: [queuedEvent('fp-b-1')],
        } satisfies EventsMessage,
      },
    ];
    const batch = createMessageBatch<EventsMessage>('pulsestream-events', messages);
    const cc = consumerContext();
    await expect(handleEventsMessages([...batch.messages], 'pulsestream-events', cc)).resolves.toBeUndefined();
    const result = await getQueueResult(batch, cc.ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(['msg-a', 'msg-b']);
    expect(await storedIds(a.tenantId)).toEqual(['fp-a-1']);
    expect(await storedIds(b.tenantId)).toEqual(['fp-b-1']);
    const letters = await withDb(async (db) => {
      const r = await db.execute<{ message_id: string }>(
        sql`SELECT message_id FROM dead_letters WHERE tenant_id = ${a.tenantId}`,
      );
      return r.rows.map((row) => row.message_id);
    });
    expect(letters).toEqual(['fp-a/#0']);
  });
});

/** A webhook channel of the tenant, created by its owner, pointing at the local receiver's `path`. */
async function webhookChannel(tenantId: string, path: string): Promise<{ id: string }> {
  const owner = await createTestUser(tenantId, 'owner');
  const res = await exports.default.fetch('http://ps.test/v1/channels', {
    method: 'POST',
    headers: { authorization: owner.bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'webhook', name: `hook ${path}`, config: { url: `${RECEIVER}${path}` } }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string };
}

describe('the notifications consumer', () => {
  it('retries a malformed message whose dead-letter send fails, and still delivers and acks its batch-mates', async () => {
    const t = await createIngestTenant();
    const path = `/fp-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t.tenantId, path);
    const good: NotifyMessage = {
      type: 'notify',
      v: 1,
      tenantId: t.tenantId,
      channelId: channel.id,
      deliveryId: crypto.randomUUID(),
      event: 'test',
      data: {},
    };
    const malformed: NotifyMessage = { ...good, channelId: 'not-a-uuid', deliveryId: crypto.randomUUID() };
    const batch = createMessageBatch<NotifyMessage>('pulsestream-notifications', [
      { id: 'notify-malformed', timestamp: new Date(), attempts: 1, body: malformed },
      { id: 'notify-good', timestamp: new Date(), attempts: 1, body: good },
    ]);
    const cc = consumerContext({ DEAD_LETTERS: downQueue });
    await expect(handleNotifyMessages([...batch.messages], 'pulsestream-notifications', cc)).resolves.toBeUndefined();
    const result = await getQueueResult(batch, cc.ctx);
    expect(result.explicitAcks).toEqual(['notify-good']);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['notify-malformed']);
    const received = (await (await fetch(`${RECEIVER}/_log?path=${encodeURIComponent(path)}`)).json()) as unknown[];
    expect(received).toHaveLength(1);
    const delivery = await withDb(async (db) => {
      const r = await db.execute<{ status: string; attempts: number }>(
        sql`SELECT status, attempts FROM notification_deliveries WHERE id = ${good.deliveryId}`,
      );
      return r.rows[0];
    });
    expect(delivery).toEqual({ status: 'succeeded', attempts: 1 });
  });

  it('calls the endpoint exactly the configured number of times when the dead-letter send fails after the delivery died, and stores the letter once the send goes', async () => {
    const t = await createIngestTenant();
    const path = `/fp-dead-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t.tenantId, path);
    const configured = await fetch(`${RECEIVER}/_config`, {
      method: 'POST',
      body: JSON.stringify({ path, statuses: Array.from({ length: 3 * MAX_DELIVERY_ATTEMPTS }, () => 503) }),
    });
    expect(configured.status).toBe(200);
    const hits = async () =>
      ((await (await fetch(`${RECEIVER}/_log?path=${encodeURIComponent(path)}`)).json()) as unknown[]).length;
    const body: NotifyMessage = {
      type: 'notify',
      v: 1,
      tenantId: t.tenantId,
      channelId: channel.id,
      deliveryId: crypto.randomUUID(),
      event: 'test',
      data: {},
    };
    // The dead-letter queue refuses the first send, then takes every letter.
    const letters: DeadLetterMessage[] = [];
    let refusals = 1;
    const flakyDeadLetters = {
      send: async (letter: DeadLetterMessage) => {
        if (refusals-- > 0) throw new Error('queue unavailable');
        letters.push(letter);
      },
    } as unknown as Queue;
    const cc = consumerContext({ DEAD_LETTERS: flakyDeadLetters });
    // The queue redelivers the message until it is acked, as the platform would (delays skipped).
    const deliverUntilAcked = async (id: string) => {
      for (let attempts = 1; attempts <= 3 * MAX_DELIVERY_ATTEMPTS; attempts++) {
        const batch = createMessageBatch<NotifyMessage>('pulsestream-notifications', [
          { id, timestamp: new Date(), attempts, body },
        ]);
        const ctx = { ...cc, ctx: createExecutionContext() };
        await handleNotifyMessages([...batch.messages], 'pulsestream-notifications', ctx);
        const result = await getQueueResult(batch, ctx.ctx);
        if (result.explicitAcks.includes(id)) return attempts;
        expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual([id]);
      }
      throw new Error(`${id} never acked`);
    };
    const delivery = async () =>
      withDb(async (db) => {
        const r = await db.execute<{ status: string; attempts: number }>(
          sql`SELECT status, attempts FROM notification_deliveries WHERE id = ${body.deliveryId}`,
        );
        return r.rows[0];
      });

    // Six attempts, the last one recorded dead, its letter refused; the retry only sends the letter.
    expect(await deliverUntilAcked('notify-exhausted')).toBe(MAX_DELIVERY_ATTEMPTS + 1);
    expect(await hits()).toBe(MAX_DELIVERY_ATTEMPTS);
    expect(await delivery()).toEqual({ status: 'dead', attempts: MAX_DELIVERY_ATTEMPTS });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      type: 'dead_letter',
      queue: 'pulsestream-notifications',
      messageId: `notify:${body.deliveryId}`,
      tenantId: t.tenantId,
      body,
      attempts: MAX_DELIVERY_ATTEMPTS,
      reason: `notification delivery exhausted after ${MAX_DELIVERY_ATTEMPTS} attempts: HTTP 503`,
    });
    const stored = createMessageBatch(
      'pulsestream-dead-letters',
      letters.map((l, i) => ({ id: `dl-${i}`, timestamp: new Date(), attempts: 1, body: l })),
    );
    const dlc = consumerContext();
    await handleDeadLetterMessages([...stored.messages] as Message<{ type: string }>[], dlc);
    expect((await getQueueResult(stored, dlc.ctx)).explicitAcks).toEqual(['dl-0']);
    const row = await withDb(async (db) => {
      const r = await db.execute<{ attempts: number; reason: string }>(
        sql`SELECT attempts, reason FROM dead_letters WHERE message_id = ${`notify:${body.deliveryId}`}`,
      );
      return r.rows;
    });
    expect(row).toEqual([{ attempts: MAX_DELIVERY_ATTEMPTS, reason: letters[0]?.reason }]);

    // A redrive of that letter is a new message: exactly one more real attempt, then a new letter, even when
    // that letter's first send fails too.
    refusals = 1;
    expect(await deliverUntilAcked('notify-redriven')).toBe(2);
    expect(await hits()).toBe(MAX_DELIVERY_ATTEMPTS + 1);
    expect(await delivery()).toEqual({ status: 'dead', attempts: MAX_DELIVERY_ATTEMPTS + 1 });
    expect(letters).toHaveLength(2);
    expect(letters[1]?.attempts).toBe(MAX_DELIVERY_ATTEMPTS + 1);
  });

  it('dead-letters messages the database cannot record at once (no delivery id, a bad alert id), each under its own letter', async () => {
    const t = await createIngestTenant();
    const idless = (n: number) =>
      ({
        type: 'notify',
        v: 1,
        tenantId: t.tenantId,
        channelId: crypto.randomUUID(),
        event: 'test',
        data: { n },
      }) as unknown as NotifyMessage;
    const badAlert = { ...idless(3), deliveryId: crypto.randomUUID(), alertId: 'not-a-uuid' };
    const batch = createMessageBatch<NotifyMessage>('pulsestream-notifications', [
      { id: 'idless-1', timestamp: new Date(), attempts: 1, body: idless(1) },
      { id: 'idless-2', timestamp: new Date(), attempts: 1, body: idless(2) },
      { id: 'bad-alert', timestamp: new Date(), attempts: 1, body: badAlert },
    ]);
    const letters: unknown[] = [];
    const cc = consumerContext({ DEAD_LETTERS: recordingQueue(letters) });
    await handleNotifyMessages([...batch.messages], 'pulsestream-notifications', cc);
    const result = await getQueueResult(batch, cc.ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(['bad-alert', 'idless-1', 'idless-2']);
    const ids = (letters as DeadLetterMessage[]).map((l) => l.messageId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const l of letters as DeadLetterMessage[]) expect(l.reason).toMatch(/^malformed notify message/);
  });
});

/** A notification and a report job of the tenant, as the platform dead-letters them when their consumer keeps failing. */
function platformBodies(tenantId: string): { notify: NotifyMessage; job: ReportJobMessage } {
  return {
    notify: {
      type: 'notify',
      v: 1,
      tenantId,
      channelId: crypto.randomUUID(),
      deliveryId: crypto.randomUUID(),
      event: 'test',
      data: {},
    },
    job: { type: 'report.generate', v: 1, tenantId, reportId: crypto.randomUUID() },
  };
}

describe('redrive', () => {
  it('sends notify and report letters the queue dead-lettered by itself back to their queues', async () => {
    const t = await createIngestTenant();
    const { notify, job } = platformBodies(t.tenantId);
    // What the platform hands the dead-letter consumer after max_retries: the message as it was.
    const batch = createMessageBatch('pulsestream-dead-letters', [
      { id: 'platform-notify', timestamp: new Date(), attempts: 1, body: notify },
      { id: 'platform-report', timestamp: new Date(), attempts: 1, body: job },
    ]);
    const cc = consumerContext();
    await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], cc);
    expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toHaveLength(2);

    const notifications: unknown[] = [];
    const reports: unknown[] = [];
    const services = createServices(cc.config, cc.logger);
    try {
      const result = await redriveDeadLetters(
        services,
        { ...env, NOTIFICATIONS: recordingQueue(notifications), REPORTS: recordingQueue(reports) },
        { tenantId: t.tenantId },
      );
      expect(result).toEqual({ redriven: 2, failed: 0 });
    } finally {
      await services.close();
    }
    expect(notifications).toEqual([notify]);
    expect(reports).toEqual([job]);
  });
});

describe('the dead-letter consumer', () => {
  it('backs off for hours, not minutes, while neither the database nor R2 takes a letter', async () => {
    // The dead-letter queue has no queue behind it: after its last retry the platform drops the letter.
    const r2Down = { put: () => Promise.reject(new Error('R2 unavailable')) } as unknown as R2Bucket;
    const cc = consumerContext({ DEAD_LETTER_BUCKET: r2Down });
    cc.config = { ...cc.config, DATABASE_URL: DEAD_DATABASE_URL };
    // getQueueResult does not report retry delays, so the messages record what the consumer asks for.
    const calls: string[] = [];
    const delays: number[] = [];
    for (let attempts = 1; attempts <= DEAD_LETTER_MAX_RETRIES; attempts++) {
      const message = {
        id: `outage-${attempts}`,
        timestamp: new Date(),
        attempts,
        body: { type: 'events', batchId: 'outage' },
        ack: () => calls.push('ack'),
        retry: (o?: QueueRetryOptions) => delays.push(o?.delaySeconds ?? 0),
      } as unknown as Message<{ type: string }>;
      await handleDeadLetterMessages([message], cc);
    }
    expect(calls).toEqual([]);
    expect(delays).toHaveLength(DEAD_LETTER_MAX_RETRIES);
    // Queues take delays of at most 12 hours.
    expect(Math.max(...delays)).toBeLessThanOrEqual(43_200);
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6 * 3600);
  });
});

describe('letters the platform dead-letters', () => {
  it('keep one letter per notification or report job when a redriven one is dead-lettered again', async () => {
    const t = await createIngestTenant();
    const { notify, job } = platformBodies(t.tenantId);
    const letters = async () =>
      withDb(async (db) => {
        const r = await db.execute<{ message_id: string; redrive_count: number; pending: boolean }>(
          sql`SELECT message_id, redrive_count, redriven_at IS NULL AS pending FROM dead_letters
              WHERE tenant_id = ${t.tenantId} ORDER BY message_id`,
        );
        return r.rows;
      });
    // Each redrive is a new queue message with a new id; the platform dead-letters it again as it was.
    for (const round of [1, 2]) {
      const batch = createMessageBatch('pulsestream-dead-letters', [
        { id: `platform-notify-${round}`, timestamp: new Date(), attempts: 1, body: notify },
        { id: `platform-report-${round}`, timestamp: new Date(), attempts: 1, body: job },
      ]);
      const cc = consumerContext();
      await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], cc);
      expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toHaveLength(2);
      if (round === 1) await withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 10, maxRedrives: 3 }));
    }
    // Re-armed with the redrive counted, so automatic redrive gives up on them after 3 rounds.
    expect(await letters()).toEqual([
      { message_id: `notify:${notify.deliveryId}`, redrive_count: 1, pending: true },
      { message_id: `report.generate:${job.reportId}`, redrive_count: 1, pending: true },
    ]);
  });
});

describe('automatic redrive', () => {
  it('gives up on letters no queue takes, so they never starve the letters stored after them', async () => {
    const t = await createIngestTenant();
    const stuck = (i: number): DeadLetterInsert => ({
      messageId: `fp-unroutable-${i}`,
      tenantId: t.tenantId,
      queue: 'unknown (type retired)',
      body: { type: 'retired' },
      reason: 'x',
      attempts: 1,
    });
    const routable = { type: 'events', batchId: 'fp-routable', tenantId: t.tenantId, events: [] };
    await withDb((db) => storeDeadLetters(db, [stuck(1), stuck(2)]));
    await withDb((db) =>
      storeDeadLetters(db, [
        {
          messageId: 'fp-routable',
          tenantId: t.tenantId,
          queue: 'pulsestream-events',
          body: routable,
          reason: 'x',
          attempts: 1,
        },
      ]),
    );
    const sent: unknown[] = [];
    const cc = consumerContext();
    const services = createServices(cc.config, cc.logger);
    try {
      // The cron's call, with a page smaller than the stuck letters: each run claims the oldest first.
      for (let run = 0; run < 5 && sent.length === 0; run++) {
        await redriveDeadLetters(
          services,
          { ...env, EVENTS: recordingQueue(sent) },
          {
            tenantId: t.tenantId,
            limit: 2,
            maxRedrives: 3,
          },
        );
      }
    } finally {
      await services.close();
    }
    expect(sent).toEqual([routable]);
    const left = await withDb(async (db) => {
      const r = await db.execute<{ message_id: string; pending: boolean; redrive_count: number }>(
        sql`SELECT message_id, redriven_at IS NULL AS pending, redrive_count FROM dead_letters
            WHERE tenant_id = ${t.tenantId} ORDER BY message_id`,
      );
      return r.rows;
    });
    // Still listed as pending for a human, with the redrives counted.
    expect(left).toEqual([
      { message_id: 'fp-routable', pending: false, redrive_count: 1 },
      { message_id: 'fp-unroutable-1', pending: true, redrive_count: 3 },
      { message_id: 'fp-unroutable-2', pending: true, redrive_count: 3 },
    ]);
  });
});

describe('the dead-letter list', () => {
  it('pages through letters stored in one statement (one created_at) without skipping any', async () => {
    const t = await createIngestTenant();
    const admin = await createTestUser(t.tenantId, 'admin');
    const letters: DeadLetterInsert[] = Array.from({ length: 5 }, (_, i) => ({
      messageId: `fp-page-${i}`,
      tenantId: t.tenantId,
      queue: 'pulsestream-events',
      body: { type: 'events', events: [] },
      reason: 'x',
      attempts: 1,
    }));
    await withDb((db) => storeDeadLetters(db, letters));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await exports.default.fetch(`http://ps.test/v1/pipeline/dead-letters?${query}`, {
        headers: { authorization: admin.bearer },
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { data: { messageId: string }[]; nextCursor: string | null };
      seen.push(...body.data.map((l) => l.messageId));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(letters.map((l) => l.messageId).sort());
  });
});

describe('the reports consumer', () => {
  it('dead-letters a ready scheduled report whose notifications could not be queued on the last attempt', async () => {
    const t = await createIngestTenant();
    const channelId = crypto.randomUUID();
    const report = await scheduledReport(t.tenantId, channelId);
    const job: ReportJobMessage = { type: 'report.generate', v: 1, tenantId: t.tenantId, reportId: report.id };
    const batch = createMessageBatch<ReportJobMessage>('pulsestream-reports', [
      { id: 'report-last', timestamp: new Date(), attempts: 3, body: job },
    ]);
    const letters: unknown[] = [];
    const cc = consumerContext({ NOTIFICATIONS: downQueue, DEAD_LETTERS: recordingQueue(letters) });
    await handleReportMessages([...batch.messages], 'pulsestream-reports', cc);
    expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toEqual(['report-last']);
    expect(letters).toHaveLength(1);
    const letter = letters[0] as DeadLetterMessage;
    expect(letter).toMatchObject({
      type: 'dead_letter',
      queue: 'pulsestream-reports',
      tenantId: t.tenantId,
      body: job,
      attempts: 3,
    });
    expect(letter.reason).toContain('queue unavailable');

    // Its redrive is the job again: the report stays ready, and the notification goes out once.
    const notified: unknown[] = [];
    await withDb((db) => runReportJob(job, db, consumerContext({ NOTIFICATIONS: recordingQueue(notified) })));
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ type: 'notify', channelId, reportId: report.id, event: 'report.ready' });
    expect(await reportState(report.id)).toEqual({ status: 'ready', notified: true });
  });

  it('dead-letters a scheduled report that failed on its last attempt when its report.failed could not be queued', async () => {
    const t = await createIngestTenant();
    const channelId = crypto.randomUUID();
    const report = await scheduledReport(t.tenantId, channelId);
    const job: ReportJobMessage = { type: 'report.generate', v: 1, tenantId: t.tenantId, reportId: report.id };
    const batch = createMessageBatch<ReportJobMessage>('pulsestream-reports', [
      { id: 'report-failed-last', timestamp: new Date(), attempts: 3, body: job },
    ]);
    const letters: unknown[] = [];
    const brokenBucket = {
      put: () => Promise.reject(new Error('bucket unavailable')),
      createMultipartUpload: () => Promise.reject(new Error('bucket unavailable')),
    } as unknown as R2Bucket;
    const cc = consumerContext({
      REPORTS_BUCKET: brokenBucket,
      NOTIFICATIONS: downQueue,
      DEAD_LETTERS: recordingQueue(letters),
    });
    await handleReportMessages([...batch.messages], 'pulsestream-reports', cc);
    expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toEqual(['report-failed-last']);
    expect(letters).toHaveLength(1);
    const letter = letters[0] as DeadLetterMessage;
    expect(letter).toMatchObject({ type: 'dead_letter', queue: 'pulsestream-reports', body: job, attempts: 3 });
    // Both: why the job failed, and why its channels were not told.
    expect(letter.reason).toContain('bucket unavailable');
    expect(letter.reason).toContain('failed notifications were not queued: queue unavailable');

    // Its redrive is the job again: the report stays failed, and report.failed goes out once.
    const notified: unknown[] = [];
    await withDb((db) => runReportJob(job, db, consumerContext({ NOTIFICATIONS: recordingQueue(notified) })));
    await withDb((db) => runReportJob(job, db, consumerContext({ NOTIFICATIONS: recordingQueue(notified) })));
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({
      type: 'notify',
      channelId,
      reportId: report.id,
      event: 'report.failed',
      deliveryId: `report.failed:${report.id}:${channelId}`,
      data: { reportId: report.id, error: 'The report could not be generated; request it again.' },
    });
    expect(await reportState(report.id)).toEqual({ status: 'failed', notified: true });
  });
});
