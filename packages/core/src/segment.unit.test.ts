import { describe, expect, it } from 'vitest';
import { validateEvents } from './event-schema';
import {
  eventIdForMessageId,
  oversizedMessages,
  SEGMENT_MAX_MESSAGES,
  segmentMessageToEvent,
  splitSegmentBody,
} from './segment';

const opts = { keepIp: false, keepUserAgent: false };

async function mapped(message: unknown, o = opts): Promise<Record<string, unknown>> {
  const r = await segmentMessageToEvent(message, o);
  if ('error' in r) throw new Error(r.error);
  return r.event;
}

describe('splitSegmentBody', () => {
  it('takes the batch of /v1/batch and types a single message from its path', () => {
    expect(splitSegmentBody({ batch: [{ type: 'track' }], writeKey: 'k', sentAt: 'x' }, 'batch')).toEqual({
      messages: [{ type: 'track' }],
    });
    expect(splitSegmentBody({ userId: 'u' }, 'identify')).toEqual({ messages: [{ userId: 'u', type: 'identify' }] });
  });

  it('refuses non-objects, missing or empty batches, too many messages, and a type the path contradicts', () => {
    expect(splitSegmentBody([], 'batch')).toHaveProperty('error');
    expect(splitSegmentBody({}, 'batch')).toHaveProperty('error');
    expect(splitSegmentBody({ batch: [] }, 'batch')).toHaveProperty('error');
    expect(splitSegmentBody({ batch: new Array(SEGMENT_MAX_MESSAGES + 1).fill({}) }, 'batch')).toHaveProperty('error');
    expect(splitSegmentBody({ type: 'page' }, 'track')).toHaveProperty('error');
  });
});

describe('segmentMessageToEvent', () => {
  it('maps track to a custom event named by the Segment event, id from messageId, timestamp kept', async () => {
    const messageId = 'node-next-1732920000000-3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(messageId).toHaveLength(60);
    const event = await mapped({
      type: 'track',
      event: 'Order Completed',
      userId: 'u1',
      properties: { total: 12.5 },
      messageId,
      timestamp: '2026-11-29T12:00:00.000Z',
      context: { ip: '203.0.113.9', userAgent: 'UA', library: { name: 'analytics-node-next', version: '3.1.0' } },
      _metadata: { nodeVersion: '20' },
      writeKey: 'secret',
    });
    expect(event).toEqual({
      type: 'custom',
      source: 'segment',
      endpoint: 'Order Completed',
      id: messageId,
      timestamp: '2026-11-29T12:00:00.000Z',
      properties: {
        type: 'track',
        event: 'Order Completed',
        userId: 'u1',
        properties: { total: 12.5 },
        context: { library: { name: 'analytics-node-next', version: '3.1.0' } },
      },
    });
    const v = validateEvents([event], {
      now: Date.parse('2026-11-29T12:00:01Z'),
      retentionDays: 30,
      generateId: () => 'g',
    });
    expect(v.valid[0]).toMatchObject({ id: messageId, type: 'custom', timestamp: Date.parse('2026-11-29T12:00:00Z') });
  });

  it('keeps ip and user agent only when enabled', async () => {
    const m = { type: 'page', name: 'Home', anonymousId: 'a', context: { ip: '1.2.3.4', userAgent: 'UA' } };
    expect((await mapped(m)).properties).toEqual({ type: 'page', name: 'Home', anonymousId: 'a', context: {} });
    const kept = await mapped(m, { keepIp: true, keepUserAgent: true });
    expect(kept.properties).toMatchObject({ context: { ip: '1.2.3.4', userAgent: 'UA' } });
    expect(kept.endpoint).toBe('page Home');
  });

  it('records the Segment type of the other calls', async () => {
    for (const type of ['identify', 'group', 'alias', 'screen']) {
      const e = await mapped({ type, userId: 'u', traits: { plan: 'pro' }, groupId: 'g', previousId: 'p' });
      expect(e).toMatchObject({ type: 'custom', source: 'segment', endpoint: type, properties: { type } });
    }
  });

  it('refuses what is not a Segment message', async () => {
    expect(await segmentMessageToEvent('x', opts)).toHaveProperty('error');
    expect(await segmentMessageToEvent({ type: 'delete' }, opts)).toHaveProperty('error');
    expect(await segmentMessageToEvent({ type: 'track' }, opts)).toHaveProperty('error');
    expect(await segmentMessageToEvent({ type: 'identify', messageId: 7 }, opts)).toHaveProperty('error');
  });

  it('refuses a messageId with an unpaired surrogate, which two different messages could share once digested', async () => {
    // UTF-8 encoding turns every lone surrogate into U+FFFD, so these ids would share one event id.
    for (const messageId of ['m-\ud800', 'm-\udc00', 'm-\udbff!', 'm-\u0000\ud800']) {
      const result = await segmentMessageToEvent({ type: 'identify', messageId }, opts);
      expect(result).toEqual({ error: '"messageId" must not contain an unpaired UTF-16 surrogate' });
    }
    // Why: the digest reads UTF-8, where each of them is U+FFFD, so two different messages would share an id.
    expect(await eventIdForMessageId('m-\ud800')).toBe(await eventIdForMessageId('m-\udc00'));
    // A paired surrogate (an emoji) and the replacement character itself are ordinary text.
    expect(await segmentMessageToEvent({ type: 'identify', messageId: 'm-\ud83d\ude00' }, opts)).toHaveProperty(
      'event',
    );
    expect(await segmentMessageToEvent({ type: 'identify', messageId: 'm-\ufffd' }, opts)).toHaveProperty('event');
  });
});

describe('eventIdForMessageId', () => {
  it('keeps storable ids and digests the rest, deterministically', async () => {
    expect(await eventIdForMessageId('abc-1')).toBe('abc-1');
    const long = 'x'.repeat(100);
    const id = await eventIdForMessageId(long);
    expect(id).toMatch(/^seg-[0-9a-f]{48}$/);
    expect(await eventIdForMessageId(long)).toBe(id);
    expect(await eventIdForMessageId('with space')).not.toBe(await eventIdForMessageId('with_space'));
  });
});

describe('oversizedMessages', () => {
  it('finds messages over 32 KB', () => {
    expect(oversizedMessages([{ a: 'x'.repeat(100) }, { a: 'é'.repeat(17_000) }, { a: 'x'.repeat(32_700) }])).toEqual([
      1,
    ]);
  });
});
