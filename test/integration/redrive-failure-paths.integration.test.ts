import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { storeDeadLetters } from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '../../workers/consumers';
import { handleDeadLetterMessages } from '../../workers/consumers/dead-letters';
import { AUTO_REDRIVE_MAX, selfHealingRedrive } from '../../workers/cron/pipeline';
import { parseConfig } from '../../workers/lib/config';
import { createLogger } from '../../workers/lib/logger';
import { redriveDeadLetters } from '../../workers/lib/pipeline';
import { createServices } from '../../workers/lib/services';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, waitFor } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

function consumerContext(): ConsumerContext {
  return { env, ctx: createExecutionContext(), config: parseConfig(env), logger: createLogger('error') };
}

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
