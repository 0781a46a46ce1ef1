import { type EventInsert, insertEvents } from '@pulsestream/db';
import { createServices } from '../lib/services';
import type { LiveEvent } from '../objects/tenant-hub';
import type { ConsumerContext } from '.';
import type { DeadLetterMessage, EventsMessage, QueuedEvent } from './messages';

/** Retry delays double from this, capped, so a database outage is ridden out over minutes, not seconds. */
const BASE_DELAY_SECONDS = 5;
const MAX_DELAY_SECONDS = 300;

/** Delay before redelivery after the `attempts`-th failed attempt (1-based). */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Writes a batch of events messages. Events are grouped by tenant and each group is one set-based insert
 * (with its rollups, in the same statement), so one tenant's failure does not hold back the others. A
 * group's messages are acked once its write commits; on failure they are retried with exponential backoff,
 * and after the configured attempts they are sent to the dead-letter queue with the reason. The inserted
 * rows, and only those, are forwarded to the tenant's TenantHub; a hub failure is logged, never retried,
 * because the events are already stored.
 */
export async function handleEventsMessages(
  messages: Message<EventsMessage>[],
  queue: string,
  cc: ConsumerContext,
): Promise<void> {
  const groups = new Map<string, Message<EventsMessage>[]>();
  for (const message of messages) {
    const group = groups.get(message.body.tenantId);
    if (group) group.push(message);
    else groups.set(message.body.tenantId, [message]);
  }
  const services = createServices(cc.config, cc.logger);
  try {
    await Promise.all(
      [...groups].map(async ([tenantId, group]) => {
        const rows: EventInsert[] = group.flatMap((m) => m.body.events.map((e) => toInsert(tenantId, e)));
        let inserted: Set<string>;
        try {
          const result = await insertEvents(services.db(), rows);
          inserted = new Set(result.inserted.map((r) => r.id));
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          cc.logger.warn('events: insert failed', {
            tenant: tenantId,
            messages: group.length,
            rows: rows.length,
            reason,
          });
          await Promise.all(group.map((m) => failMessage(m, queue, reason, cc)));
          return;
        }
        for (const m of group) m.ack();
        cc.logger.debug('events: stored', { tenant: tenantId, rows: rows.length, inserted: inserted.size });
        if (inserted.size > 0) await forwardToHub(tenantId, group, inserted, cc);
      }),
    );
  } finally {
    await services.close().catch((err: Error) => cc.logger.warn('events: db close failed', { error: err.message }));
  }
}

/** Retries with backoff, or, on the last attempt, hands the message to the dead-letter queue with its reason. */
async function failMessage(
  message: Message<EventsMessage>,
  queue: string,
  reason: string,
  cc: ConsumerContext,
): Promise<void> {
  if (message.attempts <= cc.config.QUEUE_MAX_RETRIES) {
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }
  const letter: DeadLetterMessage = {
    type: 'dead_letter',
    queue,
    messageId: message.body.batchId,
    tenantId: message.body.tenantId,
    body: message.body,
    reason: reason.slice(0, 1000),
    attempts: message.attempts,
  };
  try {
    await cc.env.DEAD_LETTERS.send(letter, { contentType: 'json' });
    message.ack();
  } catch (err) {
    // The platform's own dead-lettering (wrangler.toml dead_letter_queue) still catches it after max_retries.
    cc.logger.error('events: dead-letter send failed', {
      batchId: message.body.batchId,
      error: (err as Error).message,
    });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

async function forwardToHub(
  tenantId: string,
  group: Message<EventsMessage>[],
  inserted: Set<string>,
  cc: ConsumerContext,
): Promise<void> {
  const live: LiveEvent[] = [];
  for (const m of group) {
    for (const e of m.body.events) {
      if (!inserted.has(e.id)) continue;
      // An id repeated inside the batch was inserted once; forward it once.
      inserted.delete(e.id);
      live.push({
        id: e.id,
        timestamp: e.timestamp,
        type: e.type,
        source: e.source,
        endpoint: e.endpoint,
        method: e.method,
        status: e.status,
        latencyMs: e.latencyMs,
        country: e.country,
      });
    }
  }
  try {
    await cc.env.TENANT_HUB.getByName(tenantId).ingest(live);
  } catch (err) {
    cc.logger.error('events: hub forward failed', {
      tenant: tenantId,
      events: live.length,
      error: (err as Error).message,
    });
  }
}

function toInsert(tenantId: string, e: QueuedEvent): EventInsert {
  return { ...e, tenantId };
}
