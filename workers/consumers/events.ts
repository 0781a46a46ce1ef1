import {
  type DeadLetterInsert,
  describeFailure,
  type EventInsert,
  type IsolatingInsertResult,
  insertEventsIsolating,
  type PoisonEvent,
  storeDeadLetters,
} from '@pulsestream/db';
import { createServices, type Services } from '../lib/services';
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
 * (with its rollups, in the same statement), so one tenant's failure does not hold back the others. When the
 * database refuses some events for their content, the group is bisected until those events are found: the
 * rest are stored, and each refused event becomes a dead letter of its own with the database's reason, so
 * one poison event never takes its batch-mates down. A group that fails because the database is unavailable
 * is retried with exponential backoff, and after the configured attempts sent to the dead-letter queue. The
 * inserted rows, and only those, are forwarded to the tenant's TenantHub; a hub failure is logged, never
 * retried, because the events are already stored.
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
  let settled: PromiseSettledResult<void>[];
  try {
    // Settled, not Promise.all: one group's unexpected throw must not close the database under the others.
    settled = await Promise.allSettled(
      [...groups].map(([tenantId, group]) => storeGroup(tenantId, group, queue, services, cc)),
    );
  } finally {
    await services
      .close()
      .catch((err: unknown) => cc.logger.warn('events: db close failed', { error: describeFailure(err) }));
  }
  // The platform retries the messages the failed group left unacknowledged.
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function storeGroup(
  tenantId: string,
  group: Message<EventsMessage>[],
  queue: string,
  services: Services,
  cc: ConsumerContext,
): Promise<void> {
  const rows: EventInsert[] = group.flatMap((m) => m.body.events.map((e) => toInsert(tenantId, e)));
  let result: IsolatingInsertResult;
  try {
    result = await insertEventsIsolating(services.db(), rows);
  } catch (err) {
    const reason = describeFailure(err);
    cc.logger.warn('events: insert failed', { tenant: tenantId, messages: group.length, rows: rows.length, reason });
    await Promise.all(group.map((m) => failMessage(m, queue, reason, cc)));
    return;
  }
  const held =
    result.poison.length === 0
      ? new Set<Message<EventsMessage>>()
      : await deadLetterPoison(tenantId, result.poison, originsOf(group, rows), queue, services, cc);
  for (const m of group) if (!held.has(m)) m.ack();
  cc.logger.debug('events: stored', { tenant: tenantId, rows: rows.length, inserted: result.inserted.length });
  const inserted = new Set(result.inserted.map((r) => r.id));
  if (inserted.size > 0) await forwardToHub(tenantId, group, inserted, cc);
}

/** Where a row came from: its message and its position in that message's events. */
interface EventOrigin {
  message: Message<EventsMessage>;
  index: number;
}

/** Each row's origin, by identity: `rows` holds the group's events in order, one row per event. */
function originsOf(group: Message<EventsMessage>[], rows: EventInsert[]): Map<EventInsert, EventOrigin> {
  const origins = new Map<EventInsert, EventOrigin>();
  let next = 0;
  for (const message of group) {
    for (let index = 0; index < message.body.events.length; index++) {
      const row = rows[next++];
      if (row) origins.set(row, { message, index });
    }
  }
  return origins;
}

/**
 * Stores each poison event as its own dead letter, keyed by its message's batch id plus the event id, so a
 * redelivery stores it once, with the database's reason. A redriven, malformed message may hold events without
 * an id or two poison events with one id: those are keyed by their position instead, so two different events
 * never share a letter. If the store fails, the messages holding poison are retried instead of acked (their
 * other events are already stored, idempotently) and returned, so none is lost.
 */
async function deadLetterPoison(
  tenantId: string,
  poison: PoisonEvent[],
  origins: Map<EventInsert, EventOrigin>,
  queue: string,
  services: Services,
  cc: ConsumerContext,
): Promise<Set<Message<EventsMessage>>> {
  const keys = new Set<string>();
  const owners = new Set<Message<EventsMessage>>();
  const letters: DeadLetterInsert[] = poison.map((p) => {
    const origin = origins.get(p.row);
    if (origin) owners.add(origin.message);
    const batchId = poisonLetterId(origin, p.row.id, keys);
    const { tenantId: _tenant, ...event } = p.row;
    const body: EventsMessage = { type: 'events', v: 1, batchId, tenantId, events: [event as QueuedEvent] };
    return { messageId: batchId, tenantId, queue, body, reason: p.reason, attempts: origin?.message.attempts ?? 1 };
  });
  cc.logger.warn('events: poison events dead-lettered', {
    tenant: tenantId,
    events: poison.length,
    reasons: [...new Set(poison.map((p) => p.reason))].slice(0, 3),
  });
  try {
    await storeDeadLetters(services.db(), letters);
    return new Set();
  } catch (err) {
    cc.logger.error('events: storing poison dead letters failed, retrying their messages', {
      tenant: tenantId,
      error: describeFailure(err),
    });
    for (const m of owners) m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
    return owners;
  }
}

/**
 * `batch/eventId`, or `batch/#index` when the event has no usable id or another poison event took that key.
 * A redriven poison letter (one event, and a batch id that is a letter key: ingest batch ids are UUIDs, without
 * a slash) keeps its own key, so failing again re-arms that letter with its redrive count instead of starting a
 * new letter every time the cron redrives it.
 */
function poisonLetterId(origin: EventOrigin | undefined, eventId: unknown, taken: Set<string>): string {
  const batch = origin?.message.body.batchId ?? 'unknown';
  if (origin?.message.body.events.length === 1 && batch.includes('/') && !taken.has(batch)) {
    taken.add(batch);
    return batch;
  }
  const byPosition = `${batch}/#${origin?.index ?? taken.size}`;
  let id = typeof eventId === 'string' && eventId !== '' ? `${batch}/${eventId}` : byPosition;
  if (taken.has(id)) id = byPosition;
  while (taken.has(id)) id += '+';
  taken.add(id);
  return id;
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
      // A malformed, redriven message may hold null; such an event was dead-lettered, never inserted.
      if (typeof e !== 'object' || e === null || !inserted.has(e.id)) continue;
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
