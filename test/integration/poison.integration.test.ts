import { createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { claimDeadLetters, storeDeadLetters } from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { handleDeadLetterMessages } from '../../workers/consumers/dead-letters';
import { handleEventsMessages } from '../../workers/consumers/events';
import type { EventsMessage, QueuedEvent } from '../../workers/consumers/messages';
import { AUTO_REDRIVE_MAX, selfHealingRedrive } from '../../workers/cron/pipeline';
import {
  DRAIN_OBJECTS_PER_RUN,
  drainParkedDeadLetters,
  PENDING_DEAD_LETTER_PREFIX,
  QUARANTINED_DEAD_LETTER_PREFIX,
} from '../../workers/lib/pipeline';
import { createServices } from '../../workers/lib/services';
import { consumerContext } from '../helpers/consumer';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, postEvents, sampleEvent, storedCounts } from '../helpers/ingest';
import { queuedEvent } from '../helpers/queued-event';
import { createTestUser } from '../helpers/tenants';

const EVENTS_QUEUE = 'pulsestream-events';

beforeAll(async () => {
  await truncateAll();
});

function message(tenantId: string, batchId: string, events: QueuedEvent[]) {
  return {
    id: `msg-${batchId}`,
    timestamp: new Date(),
    attempts: 1,
    body: { type: 'events', batchId, tenantId, events } satisfies EventsMessage,
  };
}

async function storedIds(tenantId: string): Promise<string[]> {
  return withDb(async (db) => {
    const r = await db.execute<{ id: string }>(sql`SELECT id FROM events WHERE tenant_id = ${tenantId} ORDER BY id`);
    return r.rows.map((row) => row.id);
  });
}

interface ListedLetter {
  messageId: string;
  reason: string;
  events: number;
}

async function listLetters(bearer: string): Promise<ListedLetter[]> {
  const res = await exports.default.fetch('http://ps.test/v1/pipeline/dead-letters', {
    headers: { authorization: bearer },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: ListedLetter[] }).data;
}

/** Events that got past the edge before it refused them (or were redriven from an older dead letter). */
const POISON: [string, Partial<QueuedEvent>][] = [
  ['nul-in-properties', { properties: { note: 'x\u0000y' } }],
  ['surrogate-in-properties', { properties: { note: 'x\ud800y' } }],
  ['nul-in-source', { source: 'str\u0000ipe' }],
  ['nul-in-property-key', { properties: { 'a\u0000b': 1 } }],
];

describe('a poison event in the events consumer', () => {
  it('is dead-lettered with the database reason while its batch-mates and other tenants are stored', async () => {
    const a = await createIngestTenant();
    const b = await createIngestTenant();
    const admin = await createTestUser(a.tenantId, 'admin');
    const good = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => queuedEvent(`${prefix}-${i}`));
    const poison = POISON.map(([name, over]) => queuedEvent(`poison-${name}`, over));
    const messages = [
      message(a.tenantId, 'a1', good('a1', 30)),
      message(a.tenantId, 'a2', [...good('a2', 20), ...poison, ...good('a2b', 20)]),
      message(a.tenantId, 'a3', good('a3', 30)),
      message(b.tenantId, 'b1', good('b1', 25)),
    ];
    const batch = createMessageBatch<EventsMessage>(EVENTS_QUEUE, messages);
    const cc = consumerContext();
    await handleEventsMessages([...batch.messages], EVENTS_QUEUE, cc);
    const result = await getQueueResult(batch, cc.ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());

    const expectedA = [...good('a1', 30), ...good('a2', 20), ...good('a2b', 20), ...good('a3', 30)].map((e) => e.id);
    expect(await storedIds(a.tenantId)).toEqual(expectedA.sort());
    expect(await storedCounts(a.tenantId)).toEqual({ events: 100, rollups: 100 });
    expect(await storedCounts(b.tenantId)).toEqual({ events: 25, rollups: 25 });

    const letters = await listLetters(admin.bearer);
    expect(letters.map((l) => l.messageId).sort()).toEqual(poison.map((p) => `a2/${p.id}`).sort());
    for (const letter of letters) {
      expect(letter.events).toBe(1);
      // The driver's reason (SQLSTATE and message), never the SQL text drizzle wraps it in.
      expect(letter.reason).toMatch(/^22[0-9A-Z]{3}: /);
      expect(letter.reason).not.toMatch(/insert into|select/i);
    }

    // A redelivery of the same batch stores nothing twice and dead-letters each poison event once.
    const again = createMessageBatch<EventsMessage>(EVENTS_QUEUE, messages);
    const cc2 = consumerContext();
    await handleEventsMessages([...again.messages], EVENTS_QUEUE, cc2);
    expect((await getQueueResult(again, cc2.ctx)).explicitAcks).toHaveLength(messages.length);
    expect(await storedCounts(a.tenantId)).toEqual({ events: 100, rollups: 100 });
    expect(await listLetters(admin.bearer)).toHaveLength(POISON.length);
  });
});

describe('poison events from a malformed, redriven message', () => {
  it('become one dead letter each, keyed by position when they have no id or share one, and are acked', async () => {
    const t = await createIngestTenant();
    const admin = await createTestUser(t.tenantId, 'admin');
    // What a redrive of a stored hostile letter delivers: events without an id or a timestamp.
    const idless = (p: string) => ({ p }) as unknown as QueuedEvent;
    const messages = [
      message(t.tenantId, 'r1', [idless('a\u0000')]),
      message(t.tenantId, 'r2', [idless('\udc00')]),
      message(t.tenantId, 'r3', [
        queuedEvent('dup', { properties: { note: 'x\u0000' } }),
        queuedEvent('dup', { source: 'st\u0000ripe' }),
        queuedEvent('fine'),
      ]),
    ];
    const batch = createMessageBatch<EventsMessage>(EVENTS_QUEUE, messages);
    const cc = consumerContext();
    await handleEventsMessages([...batch.messages], EVENTS_QUEUE, cc);
    const result = await getQueueResult(batch, cc.ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(['msg-r1', 'msg-r2', 'msg-r3']);
    expect(await storedIds(t.tenantId)).toEqual(['fine']);
    const letters = await listLetters(admin.bearer);
    expect(letters.map((l) => l.messageId).sort()).toEqual(['r1/#0', 'r2/#0', 'r3/#1', 'r3/dup']);
    expect(letters.find((l) => l.messageId === 'r1/#0')?.reason).toBe('Invalid time value');
  });

  it('re-arm their own letter when redriven and refused again, so automatic redrive gives up on them', async () => {
    const t = await createIngestTenant();
    const first = createMessageBatch<EventsMessage>(EVENTS_QUEUE, [
      message(t.tenantId, 'rd', [queuedEvent('bad', { properties: { note: 'x\u0000' } }), queuedEvent('ok')]),
    ]);
    await handleEventsMessages([...first.messages], EVENTS_QUEUE, consumerContext());
    for (let round = 1; round <= AUTO_REDRIVE_MAX; round++) {
      const claimed = await withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 10, maxRedrives: 3 }));
      expect(claimed.map((c) => c.messageId)).toEqual(['rd/bad']);
      const redelivered = createMessageBatch<EventsMessage>(EVENTS_QUEUE, [
        { id: `redrive-${round}`, timestamp: new Date(), attempts: 1, body: claimed[0]?.body as EventsMessage },
      ]);
      const cc = consumerContext();
      await handleEventsMessages([...redelivered.messages], EVENTS_QUEUE, cc);
      expect((await getQueueResult(redelivered, cc.ctx)).explicitAcks).toEqual([`redrive-${round}`]);
      const rows = await withDb(async (db) => {
        const r = await db.execute<{ message_id: string; redrive_count: number; pending: boolean }>(
          sql`SELECT message_id, redrive_count, redriven_at IS NULL AS pending FROM dead_letters
              WHERE tenant_id = ${t.tenantId}`,
        );
        return r.rows;
      });
      expect(rows).toEqual([{ message_id: 'rd/bad', redrive_count: round, pending: true }]);
    }
    const exhausted = await withDb((db) => claimDeadLetters(db, { tenantId: t.tenantId, limit: 10, maxRedrives: 3 }));
    expect(exhausted).toEqual([]);
  });

  it('are stored once per message id when one call carries the same id twice, the later one winning', async () => {
    const t = await createIngestTenant();
    const letter = (reason: string) => ({
      messageId: 'twice',
      tenantId: t.tenantId,
      queue: EVENTS_QUEUE,
      body: { type: 'events' },
      reason,
      attempts: 1,
    });
    await withDb((db) => storeDeadLetters(db, [letter('first'), letter('second')]));
    const rows = await withDb(async (db) => {
      const r = await db.execute<{ reason: string }>(sql`SELECT reason FROM dead_letters WHERE message_id = 'twice'`);
      return r.rows;
    });
    expect(rows).toEqual([{ reason: 'second' }]);
  });
});

describe('the dead-letter consumer', () => {
  it('stores letters whose bodies jsonb would refuse, with their real reasons, instead of parking them', async () => {
    const t = await createIngestTenant();
    const admin = await createTestUser(t.tenantId, 'admin');
    const hostile = [
      { id: 'dl-nul', body: { type: 'events', batchId: 'dl-nul', tenantId: t.tenantId, events: [{ p: 'a\u0000' }] } },
      { id: 'dl-sur', body: { type: 'events', batchId: 'dl-sur', tenantId: t.tenantId, events: [{ p: '\udc00' }] } },
      // A platform-dead-lettered message with a tenant id that is not a uuid: stored without a tenant.
      { id: 'dl-bad-tenant', body: { type: 'events', batchId: 'dl-bad-tenant', tenantId: 'x\u0000', events: [] } },
    ];
    const batch = createMessageBatch(
      'pulsestream-dead-letters',
      hostile.map((h) => ({ id: h.id, timestamp: new Date(), attempts: 1, body: h.body })),
    );
    const cc = consumerContext();
    await handleDeadLetterMessages([...batch.messages] as Message<{ type: string }>[], cc);
    expect((await getQueueResult(batch, cc.ctx)).explicitAcks).toHaveLength(3);
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toHaveLength(0);
    const listed = await listLetters(admin.bearer);
    expect(listed.map((l) => l.messageId).sort()).toEqual(['dl-nul', 'dl-sur']);
    const orphan = await withDb(async (db) => {
      const r = await db.execute<{ tenant_id: string | null; body: string }>(
        sql`SELECT tenant_id, body FROM dead_letters WHERE message_id = 'dl-bad-tenant'`,
      );
      return r.rows[0];
    });
    expect(orphan?.tenant_id).toBeNull();
    // The body is kept exactly: its JSON text parses back to the message.
    expect(JSON.parse(orphan?.body ?? 'null')).toEqual(hostile[2]?.body);
  });
});

describe('the self-healing cron', () => {
  it('drains parked letters one by one: an unreadable object never stops the others or the redrive', async () => {
    const t = await createIngestTenant();
    const letter = (batchId: string) => ({
      messageId: batchId,
      tenantId: t.tenantId,
      queue: EVENTS_QUEUE,
      body: message(t.tenantId, batchId, [queuedEvent(`${batchId}-e`)]).body,
      reason: '08006: connection failure',
      attempts: 6,
    });
    await env.DEAD_LETTER_BUCKET.put(`${PENDING_DEAD_LETTER_PREFIX}aaa-broken.json`, 'this is not json');
    await env.DEAD_LETTER_BUCKET.put(`${PENDING_DEAD_LETTER_PREFIX}p1.json`, JSON.stringify(letter('p1')));
    await env.DEAD_LETTER_BUCKET.put(`${PENDING_DEAD_LETTER_PREFIX}p2.json`, JSON.stringify(letter('p2')));
    const healed = await selfHealingRedrive(consumerContext());
    expect(healed.drained).toBe(2);
    expect(healed.redriven).toBeGreaterThanOrEqual(2);
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toEqual([]);
    // Set aside, not deleted: it could hold acknowledged events an operator wants back.
    const quarantined = await env.DEAD_LETTER_BUCKET.get(`${QUARANTINED_DEAD_LETTER_PREFIX}aaa-broken.json`);
    expect(await quarantined?.text()).toBe('this is not json');
    expect(quarantined?.customMetadata?.reason).toMatch(/^not JSON: /);
    await env.DEAD_LETTER_BUCKET.delete(`${QUARANTINED_DEAD_LETTER_PREFIX}aaa-broken.json`);
  });
});

describe('draining parked dead letters', () => {
  const letterOf = (tenantId: string, batchId: string) => ({
    messageId: batchId,
    tenantId,
    queue: EVENTS_QUEUE,
    body: message(tenantId, batchId, [queuedEvent(`${batchId}-e`)]).body,
    reason: '08006: connection failure',
    attempts: 6,
  });

  async function letterStored(messageId: string): Promise<boolean> {
    return withDb(async (db) => {
      const r = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM dead_letters WHERE message_id = ${messageId}`,
      );
      return (r.rows[0]?.n ?? 0) === 1;
    });
  }

  async function clearBucket(): Promise<void> {
    for (const prefix of [PENDING_DEAD_LETTER_PREFIX, QUARANTINED_DEAD_LETTER_PREFIX, 'drain/']) {
      for (;;) {
        const listed = await env.DEAD_LETTER_BUCKET.list({ prefix, limit: 1000 });
        if (listed.objects.length === 0) break;
        await env.DEAD_LETTER_BUCKET.delete(listed.objects.map((o) => o.key));
      }
    }
  }

  it('moves a letter parked behind 500+ objects that can never be stored, and quarantines each of them with its reason', async () => {
    await clearBucket();
    const t = await createIngestTenant();
    // Sorted before the good letter: not JSON, JSON of another shape, and a letter the database refuses for good
    // (a key past the unique index's row size, 54000).
    const bad = new Map<string, string>();
    for (let i = 0; i < 520; i++) {
      const name = `aaa-bad-${String(i).padStart(4, '0')}.json`;
      bad.set(name, i % 2 === 0 ? `not json ${i}` : JSON.stringify({ messageId: `x${i}`, queue: 7 }));
    }
    const refused = {
      ...letterOf(t.tenantId, 'refused'),
      messageId: crypto.getRandomValues(new Uint8Array(6000)).join(''),
    };
    bad.set('aab-refused.json', JSON.stringify(refused));
    const names = [...bad.keys()];
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names
          .slice(i, i + 50)
          .map((name) => env.DEAD_LETTER_BUCKET.put(`${PENDING_DEAD_LETTER_PREFIX}${name}`, bad.get(name) ?? '')),
      );
    }
    await env.DEAD_LETTER_BUCKET.put(
      `${PENDING_DEAD_LETTER_PREFIX}zzz-good.json`,
      JSON.stringify(letterOf(t.tenantId, 'zzz-good')),
    );

    // Each run does bounded work; the good letter gets through within a few runs however many objects precede it.
    let runs = 0;
    while (!(await letterStored('zzz-good')) && runs < 5) {
      await selfHealingRedrive(consumerContext());
      runs++;
    }
    expect(await letterStored('zzz-good')).toBe(true);
    // DRAIN_OBJECTS_PER_RUN (200) objects a run: three runs set aside the 521, the third also moves the letter.
    expect(runs).toBe(Math.ceil(522 / DRAIN_OBJECTS_PER_RUN));
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toEqual([]);

    // Nothing lost: every object is under the quarantine prefix, byte for byte, with why it was set aside.
    const quarantined = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await env.DEAD_LETTER_BUCKET.list({
        prefix: QUARANTINED_DEAD_LETTER_PREFIX,
        cursor,
        include: ['customMetadata'],
      });
      for (const o of page.objects)
        quarantined.set(o.key.slice(QUARANTINED_DEAD_LETTER_PREFIX.length), o.customMetadata?.reason ?? '');
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    expect([...quarantined.keys()].sort()).toEqual(names.sort());
    expect(quarantined.get('aaa-bad-0000.json')).toMatch(/^not JSON: /);
    expect(quarantined.get('aaa-bad-0001.json')).toBe('not a dead letter: queue is a number, expected a string');
    expect(quarantined.get('aab-refused.json')).toMatch(/^54000: /);
    const copy = await env.DEAD_LETTER_BUCKET.get(`${QUARANTINED_DEAD_LETTER_PREFIX}aab-refused.json`);
    expect(await copy?.text()).toBe(JSON.stringify(refused));
    await clearBucket();
  }, 120_000);

  it('goes on past objects left in place (their reads keep failing) from where the last run stopped', async () => {
    await clearBucket();
    const t = await createIngestTenant();
    for (let i = 0; i < 60; i++) {
      await env.DEAD_LETTER_BUCKET.put(
        `${PENDING_DEAD_LETTER_PREFIX}aaa-unreadable-${String(i).padStart(2, '0')}.json`,
        'x',
      );
    }
    await env.DEAD_LETTER_BUCKET.put(
      `${PENDING_DEAD_LETTER_PREFIX}zzz-behind.json`,
      JSON.stringify(letterOf(t.tenantId, 'zzz-behind')),
    );
    const bucket = new Proxy(env.DEAD_LETTER_BUCKET, {
      get(target, prop) {
        if (prop === 'get') {
          return (key: string) =>
            key.includes('unreadable') ? Promise.reject(new Error('R2 read failed')) : target.get(key);
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const cc = consumerContext();
    const services = createServices(cc.config, cc.logger);
    try {
      const first = await drainParkedDeadLetters(services, bucket, { maxObjects: 50 });
      expect(first).toEqual({ moved: 0, failed: 50, quarantined: 0, stoppedEarly: false });
      expect(await letterStored('zzz-behind')).toBe(false);
      const second = await drainParkedDeadLetters(services, bucket, { maxObjects: 50 });
      expect(second).toEqual({ moved: 1, failed: 10, quarantined: 0, stoppedEarly: false });
      expect(await letterStored('zzz-behind')).toBe(true);
      // Having reached the end, the next run starts over from the first key.
      const third = await drainParkedDeadLetters(services, bucket, { maxObjects: 50 });
      expect(third).toEqual({ moved: 0, failed: 50, quarantined: 0, stoppedEarly: false });
    } finally {
      await services.close();
    }
    // Left in place, not quarantined: a failed read says nothing about the object.
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toHaveLength(60);
    await clearBucket();
  });

  it('stops at the first letter a database outage refuses, leaving every object where it was', async () => {
    await clearBucket();
    const t = await createIngestTenant();
    const keys = Array.from(
      { length: 20 },
      (_, i) => `${PENDING_DEAD_LETTER_PREFIX}outage-${String(i).padStart(2, '0')}.json`,
    );
    for (const [i, key] of keys.entries()) {
      await env.DEAD_LETTER_BUCKET.put(key, JSON.stringify(letterOf(t.tenantId, `outage-${i}`)));
    }
    // Parked letters read: one means the run stopped at the first failure.
    let reads = 0;
    const bucket = new Proxy(env.DEAD_LETTER_BUCKET, {
      get(target, prop) {
        if (prop === 'get') {
          return (key: string) => {
            if (key.startsWith(PENDING_DEAD_LETTER_PREFIX)) reads++;
            return target.get(key);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const cc = consumerContext({}, { DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/postgres' });
    const services = createServices(cc.config, cc.logger);
    try {
      const result = await drainParkedDeadLetters(services, bucket);
      expect(result).toEqual({ moved: 0, failed: 1, quarantined: 0, stoppedEarly: true });
    } finally {
      await services.close();
    }
    expect(reads).toBe(1);
    const left = await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX });
    expect(left.objects.map((o) => o.key)).toEqual(keys);
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: QUARANTINED_DEAD_LETTER_PREFIX })).objects).toEqual([]);

    // Once the database answers, the next run moves them all.
    expect(await selfHealingRedrive(consumerContext())).toMatchObject({ drained: 20 });
    expect((await env.DEAD_LETTER_BUCKET.list({ prefix: PENDING_DEAD_LETTER_PREFIX })).objects).toEqual([]);
    await clearBucket();
  });
});

describe('the edge refuses what storage cannot hold', () => {
  it('answers NUL, lone surrogates and out-of-range numbers per event with a path, and accepts the rest', async () => {
    const t = await createIngestTenant();
    const events = [
      sampleEvent({ properties: { a: 'x\u0000y' } }),
      sampleEvent({ properties: { deep: { list: ['ok', '\ud800'] } } }),
      sampleEvent({ properties: { 'k\u0000': 1 } }),
      sampleEvent({ source: 'a\udfffb' }),
      sampleEvent({ endpoint: 'GET /\ud83d' }),
      sampleEvent({ latencyMs: 1e308 }),
      // A 20-digit number, as a client's JSON carries it (a JS literal would round it first).
      sampleEvent({ status: 0 }),
      sampleEvent({ properties: { emoji: '\ud83d\ude00', big: 1e308 } }),
    ];
    const res = await postEvents(
      t.key,
      JSON.stringify({ events }).replace('"status":0', '"status":12345678901234567890'),
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      accepted: number;
      rejected: { index: number; errors: { path: string; message: string }[] }[];
    };
    expect(body.accepted).toBe(1);
    const paths = new Map(body.rejected.map((r) => [r.index, [...new Set(r.errors.map((e) => e.path))]]));
    expect([...paths.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(paths.get(0)).toEqual(['properties.a']);
    expect(paths.get(1)).toEqual(['properties.deep.list.1']);
    expect(paths.get(2)).toEqual(['properties.k\u0000']);
    expect(paths.get(3)).toEqual(['source']);
    expect(paths.get(4)).toEqual(['endpoint']);
    expect(paths.get(5)).toEqual(['latencyMs']);
    expect(paths.get(6)).toEqual(['status']);
  });

  it('stores "__proto__", "constructor" and "toString" property names as ordinary names', async () => {
    const t = await createIngestTenant();
    const raw =
      '{"source":"__proto__","endpoint":"constructor","properties":{"__proto__":{"x":1},"constructor":2,"toString":"s"}}';
    const res = await postEvents(t.key, raw);
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    // The queue delivers it; wait for the row.
    let row: { source: string; endpoint: string; properties: string } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      row = await withDb(async (db) => {
        const r = await db.execute<{ source: string; endpoint: string; properties: string }>(
          sql`SELECT source, endpoint, properties::text FROM events WHERE tenant_id = ${t.tenantId} AND id = ${ids[0]}`,
        );
        return r.rows[0];
      });
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.source).toBe('__proto__');
    // The hub counted it under its own name, and the tenant's Prometheus endpoint still answers.
    let exposition = '';
    for (let i = 0; i < 100 && !exposition.includes('source="__proto__"'); i++) {
      const scrape = await exports.default.fetch('http://ps.test/v1/metrics/prometheus', {
        headers: { authorization: `Bearer ${t.key}` },
      });
      expect(scrape.status).toBe(200);
      exposition = await scrape.text();
      if (!exposition.includes('source="__proto__"')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(exposition).toContain('source="__proto__"');
    expect(row?.endpoint).toBe('constructor');
    expect(JSON.parse(row?.properties ?? '{}')).toEqual(
      JSON.parse('{"__proto__":{"x":1},"constructor":2,"toString":"s"}'),
    );
  });
});
