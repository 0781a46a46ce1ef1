/**
 * Failure paths of the queue consumers and of redrive: what happens to the other messages of a batch when one
 * fails in an unexpected way, and whether every dead letter can go back to where it came from.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '../../workers/consumers';
import { handleEventsMessages } from '../../workers/consumers/events';
import type { EventsMessage, QueuedEvent } from '../../workers/consumers/messages';
import { parseConfig } from '../../workers/lib/config';
import { createLogger } from '../../workers/lib/logger';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';

beforeAll(async () => {
  await truncateAll();
});

function consumerContext(overrides: Partial<Env> = {}): ConsumerContext {
  return {
    env: { ...env, ...overrides },
    ctx: createExecutionContext(),
    config: parseConfig(env),
    logger: createLogger('error'),
  };
}

function queued(id: string): QueuedEvent {
  return {
    id,
    timestamp: Date.now() - 60_000,
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 12,
    country: null,
    region: null,
    city: null,
    colo: null,
    asn: null,
    properties: null,
  };
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
          events: [null as unknown as QueuedEvent, queued('fp-a-1')],
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
          events: [queued('fp-b-1')],
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
