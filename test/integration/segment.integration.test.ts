import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, type IngestTenant, storedCounts, waitFor } from '../helpers/ingest';

let tenant: IngestTenant;

beforeAll(async () => {
  await truncateAll();
  tenant = await createIngestTenant();
});

const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;

function post(path: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`http://ps.test/v1/segment/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(tenant.key), ...headers },
    body,
  });
}

const track = (i: number, over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `u${i}`,
  properties: { total: i },
  messageId: `seg-int-${i}`,
  timestamp: new Date(Date.now() - 1000).toISOString(),
  context: { ip: '203.0.113.7', userAgent: 'UA/1', library: { name: 'analytics-node-next', version: '3.1.0' } },
  ...over,
});

async function rows(where: string): Promise<Record<string, unknown>[]> {
  return withDb(async (db) => {
    const r = await db.execute<Record<string, unknown>>(
      sql`SELECT id, type, source, endpoint, properties FROM events
          WHERE tenant_id = ${tenant.tenantId} AND id LIKE ${where} ORDER BY id`,
    );
    return r.rows;
  });
}

describe('POST /v1/segment/v1/batch', () => {
  it('stores each message under its messageId, answers {"success":true}, and a resend is a 200 that stores nothing', async () => {
    const body = JSON.stringify({
      batch: [track(1), track(2), track(3)],
      writeKey: tenant.key,
      sentAt: new Date().toISOString(),
    });
    const res = await post('batch', body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    expect(res.headers.get('RateLimit-Remaining')).toMatch(/^\d+$/);
    await waitFor('3 events', async () => (await storedCounts(tenant.tenantId)).events === 3);
    const again = await post('batch', body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ success: true });
    const stored = await rows('seg-int-%');
    expect(stored).toHaveLength(3);
    expect(stored[0]).toEqual({
      id: 'seg-int-1',
      type: 'custom',
      source: 'segment',
      endpoint: 'Order Completed',
      properties: {
        type: 'track',
        event: 'Order Completed',
        userId: 'u1',
        properties: { total: 1 },
        context: { library: { name: 'analytics-node-next', version: '3.1.0' } },
      },
    });
  });

  it('stores the other calls as custom events recording their type, on their own paths too', async () => {
    for (const [path, msg] of [
      ['identify', { userId: 'u9', traits: { plan: 'pro' }, messageId: 'seg-other-identify' }],
      ['page', { anonymousId: 'a', name: 'Pricing', messageId: 'seg-other-page' }],
      ['screen', { userId: 'u9', name: 'Home', messageId: 'seg-other-screen' }],
      ['group', { userId: 'u9', groupId: 'g1', messageId: 'seg-other-group' }],
      ['alias', { userId: 'u9', previousId: 'a', messageId: 'seg-other-alias' }],
      ['track', { userId: 'u9', event: 'Signed Up', messageId: 'seg-other-track' }],
    ] as const) {
      const res = await post(path, JSON.stringify(msg));
      expect(res.status, path).toBe(200);
    }
    await waitFor('6 more events', async () => (await rows('seg-other-%')).length === 6);
    const stored = await rows('seg-other-%');
    expect(stored.map((r) => [r.id, r.endpoint, (r.properties as { type: string }).type])).toEqual([
      ['seg-other-alias', 'alias', 'alias'],
      ['seg-other-group', 'group', 'group'],
      ['seg-other-identify', 'identify', 'identify'],
      ['seg-other-page', 'page Pricing', 'page'],
      ['seg-other-screen', 'screen Home', 'screen'],
      ['seg-other-track', 'Signed Up', 'track'],
    ]);
  });

  it('keeps ip and userAgent when the query asks, and __proto__ as an ordinary property name', async () => {
    const raw = JSON.stringify(track(50, { messageId: 'seg-keep-1' })).replace(
      '"properties":{"total":50}',
      '"properties":{"__proto__":{"polluted":true},"constructor":"c"}',
    );
    const res = await post('track?keep=ip,userAgent', raw);
    expect(res.status).toBe(200);
    await waitFor('the event', async () => (await rows('seg-keep-%')).length === 1);
    const [row] = await rows('seg-keep-%');
    const props = row?.properties as Record<string, Record<string, unknown>>;
    expect(props.context).toMatchObject({ ip: '203.0.113.7', userAgent: 'UA/1' });
    expect(JSON.stringify(props.properties)).toBe('{"__proto__":{"polluted":true},"constructor":"c"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts the key as Bearer or X-API-Key too, and gzip bodies', async () => {
    const a = await post('track', JSON.stringify(track(60, { messageId: 'seg-auth-1' })), {
      authorization: `Bearer ${tenant.key}`,
    });
    expect(a.status).toBe(200);
    const b = await exports.default.fetch('http://ps.test/v1/segment/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.key, 'content-encoding': 'gzip' },
      body: gzipSync(new TextEncoder().encode(JSON.stringify({ batch: [track(61, { messageId: 'seg-auth-2' })] }))),
    });
    expect(b.status).toBe(200);
    await waitFor('2 events', async () => (await rows('seg-auth-%')).length === 2);
  });

  it('refuses a message over 32 KB and a request over 500 KB with 400, storing nothing', async () => {
    const big = track(70, { messageId: 'seg-big-1', properties: { blob: 'x'.repeat(33 * 1024) } });
    const one = await post('batch', JSON.stringify({ batch: [track(71, { messageId: 'seg-big-0' }), big] }));
    expect(one.status).toBe(400);
    expect(one.headers.get('content-type')).toBe('application/problem+json');
    expect(((await one.json()) as { errors: { path: string }[] }).errors).toEqual([
      { path: 'batch.1', message: 'message over 32 KB' },
    ]);
    const many = Array.from({ length: 20 }, (_, i) =>
      track(100 + i, { messageId: `seg-big-${100 + i}`, properties: { blob: 'y'.repeat(30 * 1024) } }),
    );
    const huge = await post('batch', JSON.stringify({ batch: many }));
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { detail: string }).detail).toMatch(/at most 512000 bytes/);
    expect(await rows('seg-big-%')).toEqual([]);
  });

  it('stores the valid messages of a mixed batch and lists the others', async () => {
    const res = await post(
      'batch',
      JSON.stringify({
        batch: [
          track(80, { messageId: 'seg-mixed-1' }),
          { type: 'track', messageId: 'seg-mixed-2' },
          track(82, { messageId: 'seg-mixed-3', timestamp: '0000-01-01T00:00:00Z' }),
          track(83, { messageId: 'seg-mixed-4', event: 'bad\u0000name' }),
        ],
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { success: boolean; rejected: { index: number }[] };
    expect(body.success).toBe(true);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    await waitFor('the valid one', async () => (await rows('seg-mixed-%')).length === 1);
  });

  it('refuses a messageId with an unpaired surrogate instead of storing it under an id another message shares', async () => {
    const res = await post(
      'batch',
      JSON.stringify({
        batch: [track(95, { messageId: 'seg-sur-\ud800' }), track(96, { messageId: 'seg-sur-ok' })],
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rejected: { index: number; errors: { message: string }[] }[] };
    expect(body.rejected.map((r) => r.index)).toEqual([0]);
    expect(body.rejected[0]?.errors[0]?.message).toMatch(/messageId.*surrogate/);
  });

  it('answers 400 problems for malformed input and 401 without a key', async () => {
    expect((await post('batch', '{"batch":')).status).toBe(400);
    expect((await post('batch', JSON.stringify({ batch: [] }))).status).toBe(400);
    expect((await post('batch', JSON.stringify({ batch: [{ type: 'nope' }] }))).status).toBe(400);
    expect((await post('track', JSON.stringify({ type: 'page' }))).status).toBe(400);
    expect(
      (await post('batch', '{}', { authorization: basic('ps_live_unknownunknownunknownunknownunknownunknow') })).status,
    ).toBe(401);
    expect((await post('batch', '{}', { authorization: 'Basic !!!' })).status).toBe(401);
    expect((await post('batch', '{}', { authorization: basic('') })).status).toBe(401);
  });
});
