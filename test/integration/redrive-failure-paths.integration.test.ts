import { createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import {
  claimDeadLetters,
  listDeadLetters,
  markDeadLettersRedriven,
  REDRIVE_LEASE_SECONDS,
  storeDeadLetters,
} from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { handleDeadLetterMessages } from '../../workers/consumers/dead-letters';
import { AUTO_REDRIVE_MAX, selfHealingRedrive } from '../../workers/cron/pipeline';
import { parseConfig } from '../../workers/lib/config';
import { createLogger } from '../../workers/lib/logger';
import { redriveDeadLetters } from '../../workers/lib/pipeline';
import { createServices } from '../../workers/lib/services';
import { consumerContext } from '../helpers/consumer';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, waitFor } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

async function letterRow(messageId: string) {
  return withDb(async (db) => {
    const r = await db.execute<{ redrive_count: number; pending: boolean }>(
      sql`SELECT redrive_count, redriven_at IS NULL AS pending FROM dead_letters WHERE message_id = ${messageId}`,
    );
    return r.rows[0];
  });
}

/** One automatic redrive run, as the cron makes it, but claiming at most `limit` letters. */
async function cronRedrive(limit: number) {
  const services = createServices(parseConfig(env), createLogger('error'));
  try {
    return await redriveDeadLetters(services, env, { tenantId: null, limit, maxRedrives: AUTO_REDRIVE_MAX });
  } finally {
    await services.close();
  }
}

describe('self-healing redrive of letters the platform dead-lettered', () => {
  it('sends a notify message back to the notifications queue, where it is attempted again', async () => {
    const t = await createIngestTenant();
    const deliveryId = crypto.randomUUID();
    // What the dead-letter queue receives when the notifications consumer's own bookkeeping kept failing
    // (database down) until the platform's max_retries: the notify message itself, not our wrapper.
    const notify = {
      type: 'notify',
      v: 1,
      tenantId: t.tenantId,
      channelId: crypto.randomUUID(),
      deliveryId,
      event: 'alert.firing',
      data: {},
    };
    const batch = createMessageBatch('pulsestream-dead-letters', [
      { id: 'platform-dl-notify', timestamp: new Date(), attempts: 1, body: notify },
    ]);
    const cc = consumerContext();
    await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], cc);
    expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toEqual(['platform-dl-notify']);

    const healed = await selfHealingRedrive(consumerContext());
    expect(healed.redriven).toBeGreaterThanOrEqual(1);
    // Keyed by its delivery, as the consumer keys the letters it writes itself.
    expect(await letterRow(`notify:${deliveryId}`)).toEqual({ redrive_count: 1, pending: false });
    // The notifications consumer got it: its channel is gone, so the delivery is recorded as failed for good.
    await waitFor('redriven notification attempted', async () => {
      const rows = await withDb((db) =>
        db.execute<{ status: string }>(sql`SELECT status FROM notification_deliveries WHERE id = ${deliveryId}`),
      );
      return rows.rows[0]?.status === 'failed';
    });
  });

  it('re-arms the same letter when the redriven message is dead-lettered again, so automatic redrive ends', async () => {
    const t = await createIngestTenant();
    const job = { type: 'report.generate', v: 1, tenantId: t.tenantId, reportId: crypto.randomUUID() };
    const deadLetter = async (platformMessageId: string) => {
      const batch = createMessageBatch('pulsestream-dead-letters', [
        { id: platformMessageId, timestamp: new Date(), attempts: 1, body: job },
      ]);
      const cc = consumerContext();
      await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], cc);
      expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toEqual([platformMessageId]);
    };
    await deadLetter('platform-first');
    expect(await cronRedrive(10)).toEqual({ redriven: 1, failed: 0 });
    // The platform gives the redriven message a new id; failing again, it comes back under that id.
    await deadLetter('platform-second');
    const letters = await withDb(async (db) => {
      const r = await db.execute<{ message_id: string; redrive_count: number; pending: boolean }>(
        sql`SELECT message_id, redrive_count, redriven_at IS NULL AS pending FROM dead_letters
            WHERE tenant_id = ${t.tenantId}`,
      );
      return r.rows;
    });
    expect(letters).toEqual([{ message_id: `report.generate:${job.reportId}`, redrive_count: 1, pending: true }]);
  });

  it('gives up on a letter no queue takes after the automatic redrives, instead of blocking the letters behind it', async () => {
    const owner = await createIngestTenant();
    const innocent = await createIngestTenant();
    const letter = (messageId: string, tenantId: string, body: unknown) => ({
      messageId,
      tenantId,
      queue: 'unknown',
      body,
      reason: 'retries exhausted (dead-lettered by the queue)',
      attempts: 6,
    });
    await withDb((db) => db.execute(sql`DELETE FROM dead_letters`));
    // Oldest first: the letter nobody can take is claimed before the other tenant's.
    await withDb((db) => storeDeadLetters(db, [letter('mystery', owner.tenantId, { type: 'mystery' })]));
    await withDb((db) =>
      storeDeadLetters(db, [
        letter('innocent', innocent.tenantId, {
          type: 'events',
          v: 1,
          batchId: 'innocent',
          tenantId: innocent.tenantId,
          events: [],
        }),
      ]),
    );
    const runs: { redriven: number; failed: number }[] = [];
    for (let run = 0; run <= AUTO_REDRIVE_MAX; run++) runs.push(await cronRedrive(1));
    expect(runs).toEqual([
      ...Array.from({ length: AUTO_REDRIVE_MAX }, () => ({ redriven: 0, failed: 1 })),
      { redriven: 1, failed: 0 },
    ]);
    expect(await letterRow('innocent')).toEqual({ redrive_count: 1, pending: false });
    // Still listed for a human, but automatic redrive leaves it alone from now on.
    expect(await letterRow('mystery')).toEqual({ redrive_count: AUTO_REDRIVE_MAX, pending: true });
    expect(await cronRedrive(10)).toEqual({ redriven: 0, failed: 0 });
  });
});

describe('redrive leases', () => {
  /** A queue that records what it was sent. */
  const recordingQueue = (into: unknown[]) =>
    ({
      send: async (body: unknown) => void into.push(body),
      sendBatch: async (batch: Iterable<{ body: unknown }>) => void into.push(...[...batch].map((m) => m.body)),
    }) as unknown as Queue;

  /** An events letter of its own tenant, stored pending. */
  async function pendingLetter(messageId: string) {
    const t = await createIngestTenant();
    const body = { type: 'events', v: 1, batchId: messageId, tenantId: t.tenantId, events: [] };
    await withDb((db) =>
      storeDeadLetters(db, [
        { messageId, tenantId: t.tenantId, queue: 'pulsestream-events', body, reason: 'x', attempts: 6 },
      ]),
    );
    return { tenantId: t.tenantId, body };
  }

  /** One redrive of a tenant's letters into `sent`, on the given clock (the database's when absent). */
  async function redriveInto(tenantId: string, sent: unknown[], opts: { now?: Date; events?: Queue } = {}) {
    const services = createServices(parseConfig(env), createLogger('error'));
    try {
      return await redriveDeadLetters(
        services,
        { ...env, EVENTS: opts.events ?? recordingQueue(sent) },
        { tenantId, ...(opts.now ? { now: opts.now } : {}) },
      );
    } finally {
      await services.close();
    }
  }

  const pendingIds = (tenantId: string) =>
    withDb(async (db) => (await listDeadLetters(db, tenantId, { limit: 100, pendingOnly: true })).map((l) => l.id));

  /** A clock just past the lease of a claim taken now. */
  const afterLease = () => new Date(Date.now() + (REDRIVE_LEASE_SECONDS + 60) * 1000);

  it('leaves the letters of a redrive killed between claim and send to a later run, which sends them once', async () => {
    const { tenantId, body } = await pendingLetter('lease-killed');
    // The killed redrive: it claimed, then never sent, marked or released anything.
    const killed = await withDb((db) => claimDeadLetters(db, { tenantId, limit: 10 }));
    expect(killed.map((l) => l.messageId)).toEqual(['lease-killed']);
    // Still pending (its send never succeeded), but no other redrive takes it while the lease holds.
    expect(await pendingIds(tenantId)).toEqual([killed[0]?.id]);
    const sent: unknown[] = [];
    expect(await redriveInto(tenantId, sent)).toEqual({ redriven: 0, failed: 0 });
    expect(sent).toEqual([]);
    // Once the lease has expired, the next run sends it, exactly once.
    const later = afterLease();
    expect(await redriveInto(tenantId, sent, { now: later })).toEqual({ redriven: 1, failed: 0 });
    expect(await redriveInto(tenantId, sent, { now: later })).toEqual({ redriven: 0, failed: 0 });
    expect(sent).toEqual([body]);
    expect(await pendingIds(tenantId)).toEqual([]);
    // The killed claim counts as a redrive, so a letter that kills its redriver every time is given up too.
    expect(await letterRow('lease-killed')).toEqual({ redrive_count: 2, pending: false });
  });

  it('loses no letter when the send fails and releasing the claim fails too (the database blips)', async () => {
    const { tenantId, body } = await pendingLetter('lease-blip');
    const services = createServices(parseConfig(env), createLogger('error'));
    // The queue is down, and by the time the redrive releases the claim, its database connection is gone.
    const downAndBlip = {
      sendBatch: async () => {
        await services.close();
        throw new Error('queue unavailable');
      },
    } as unknown as Queue;
    let result: unknown;
    try {
      result = await redriveDeadLetters(services, { ...env, EVENTS: downAndBlip }, { tenantId });
    } finally {
      await services.close();
    }
    expect(result).toEqual({ redriven: 0, failed: 1 });
    expect(await pendingIds(tenantId)).toHaveLength(1);
    const sent: unknown[] = [];
    // The unreleased claim holds until its lease expires; then the letter is sent once.
    expect(await redriveInto(tenantId, sent)).toEqual({ redriven: 0, failed: 0 });
    expect(await redriveInto(tenantId, sent, { now: afterLease() })).toEqual({ redriven: 1, failed: 0 });
    expect(sent).toEqual([body]);
    expect(await letterRow('lease-blip')).toEqual({ redrive_count: 2, pending: false });
  });

  it('never gives one letter to two concurrent claims while the lease holds', async () => {
    const t = await createIngestTenant();
    const letters = Array.from({ length: 20 }, (_, i) => ({
      messageId: `lease-concurrent-${i}`,
      tenantId: t.tenantId,
      queue: 'pulsestream-events',
      body: { type: 'events', v: 1, batchId: `lease-concurrent-${i}`, tenantId: t.tenantId, events: [] },
      reason: 'x',
      attempts: 6,
    }));
    await withDb((db) => storeDeadLetters(db, letters));
    // Five redrives at once, each on its own connection, together asking for more letters than there are.
    const claims = await Promise.all(
      Array.from({ length: 5 }, () => withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 6 }))),
    );
    const ids = claims.flat().map((l) => l.messageId);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    // Nothing is left to claim while the leases hold, yet every letter is still pending (none was sent).
    expect(await withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 100 }))).toEqual([]);
    expect(await pendingIds(t.tenantId)).toHaveLength(20);
    // Past the leases (their redrives died), they are all claimable again, once each.
    const later = afterLease();
    const again = await Promise.all(
      Array.from({ length: 3 }, () =>
        withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 10, now: later })),
      ),
    );
    const againIds = again.flat().map((l) => l.messageId);
    expect(againIds).toHaveLength(20);
    expect(new Set(againIds).size).toBe(20);
  });

  it('does not let a late redrive mark a letter that was dead-lettered again meanwhile', async () => {
    const { tenantId, body } = await pendingLetter('lease-rearmed');
    const claimed = await withDb((db) => claimDeadLetters(db, { tenantId, limit: 10 }));
    expect(claimed).toHaveLength(1);
    // Sent, and failing again before the redrive got round to marking it: its letter is re-armed.
    await withDb((db) =>
      storeDeadLetters(db, [
        { messageId: 'lease-rearmed', tenantId, queue: 'pulsestream-events', body, reason: 'again', attempts: 6 },
      ]),
    );
    await withDb((db) => markDeadLettersRedriven(db, claimed));
    expect(await letterRow('lease-rearmed')).toEqual({ redrive_count: 1, pending: true });
    // And it is claimable at once: the re-arm ended the old lease.
    const sent: unknown[] = [];
    expect(await redriveInto(tenantId, sent)).toEqual({ redriven: 1, failed: 0 });
    expect(sent).toEqual([body]);
  });
});
