import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';
import {
  createIngestTenant,
  type IngestTenant,
  postEvents,
  sampleEvent,
  storedCounts,
  waitFor,
} from '../helpers/ingest';

let tenant: IngestTenant;

beforeAll(async () => {
  await truncateAll();
  tenant = await createIngestTenant();
});

interface Accepted {
  accepted: number;
  rejected: { index: number; errors: { path: string; message: string }[] }[];
  ids: string[];
}

async function expectProblem(res: Response, status: number, type: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.type).toBe(`https://pulsestream.dev/errors/${type}`);
  expect(body.status).toBe(status);
  return body;
}

function expectRateLimitHeaders(res: Response): void {
  for (const h of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) {
    expect(res.headers.get(h), h).toMatch(/^\d+$/);
  }
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { n: value };
  return value;
}

describe('POST /v1/events: accepted input', () => {
  it('accepts one event with 202, ids, and RateLimit headers, and stores it enriched', async () => {
    const res = await exports.default.fetch(
      new Request('http://ps.test/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` },
        body: JSON.stringify(sampleEvent({ id: 'evt-single-1' })),
        cf: { country: 'DE', region: 'Berlin', city: 'Berlin', colo: 'TXL', asn: 3320 },
      }),
    );
    expect(res.status).toBe(202);
    expectRateLimitHeaders(res);
    const body = (await res.json()) as Accepted;
    expect(body).toEqual({ accepted: 1, rejected: [], ids: ['evt-single-1'] });
    await waitFor('the event to be stored', async () => (await storedCounts(tenant.tenantId)).events === 1);
    const row = await withDb(async (db) => {
      const r = await db.execute<Record<string, unknown>>(
        sql`SELECT country, region, city, colo, asn, source, received_at FROM events WHERE id = 'evt-single-1'`,
      );
      return r.rows[0];
    });
    expect(row).toMatchObject({
      country: 'DE',
      region: 'Berlin',
      city: 'Berlin',
      colo: 'TXL',
      asn: 3320,
      source: 'stripe',
    });
    expect(row?.received_at).toBeTruthy();
  });

  it('generates UUIDv7 ids for events without one', async () => {
    const res = await postEvents(tenant.key, JSON.stringify({ events: [sampleEvent(), sampleEvent()] }));
    const body = (await res.json()) as Accepted;
    expect(body.accepted).toBe(2);
    for (const id of body.ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(body.ids).size).toBe(2);
  });

  it('accepts gzip bodies', async () => {
    const payload = gzipSync(new TextEncoder().encode(JSON.stringify({ events: [sampleEvent({ id: 'gz-1' })] })));
    const res = await postEvents(tenant.key, payload, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Accepted).ids).toEqual(['gz-1']);
  });

  it('stores every valid event of a mixed batch and lists the invalid ones', async () => {
    const mixed = await createIngestTenant();
    const events = [
      sampleEvent({ id: 'mix-0' }),
      sampleEvent({ id: 'mix-1', status: 'teapot' }),
      sampleEvent({ id: 'mix-2' }),
      sampleEvent({ id: 'mix-3', properties: nested(50) }),
      sampleEvent({ id: 'mix-4', timestamp: Date.now() - 400 * 86_400_000 }),
      sampleEvent({ id: 'mix-5', padding: 'x'.repeat(33 * 1024) }),
      sampleEvent({ id: 'mix-6' }),
    ];
    const res = await postEvents(mixed.key, JSON.stringify({ events }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as Accepted;
    expect(body.accepted).toBe(3);
    expect(body.ids).toEqual(['mix-0', 'mix-2', 'mix-6']);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 3, 4, 5]);
    expect(body.rejected[0]?.errors[0]?.path).toBe('status');
    expect(body.rejected[1]?.errors[0]?.path).toBe('properties');
    expect(body.rejected[2]?.errors[0]?.path).toBe('timestamp');
    await waitFor('the mixed batch to be stored', async () => (await storedCounts(mixed.tenantId)).events === 3);
    const ids = await withDb(async (db) => {
      const r = await db.execute<{ id: string }>(
        sql`SELECT id FROM events WHERE tenant_id = ${mixed.tenantId} ORDER BY id`,
      );
      return r.rows.map((x) => x.id);
    });
    expect(ids).toEqual(['mix-0', 'mix-2', 'mix-6']);
  });
});

describe('POST /v1/events: bad input gets a documented 4xx problem, never a 500', () => {
  const big = (n: number) => JSON.stringify(sampleEvent({ padding: 'x'.repeat(n) }));

  const cases: { name: string; status: number; type: string; send: () => Promise<Response> }[] = [
    { name: 'body not JSON', status: 400, type: 'malformed-json', send: () => postEvents(tenant.key, 'hello world') },
    {
      name: 'truncated JSON',
      status: 400,
      type: 'malformed-json',
      send: () => postEvents(tenant.key, JSON.stringify(sampleEvent()).slice(0, 20)),
    },
    {
      name: 'a JSON array of numbers',
      status: 400,
      type: 'bad-request',
      send: () => postEvents(tenant.key, '[1,2,3]'),
    },
    {
      name: 'an event of 33 KiB',
      status: 400,
      type: 'validation-failed',
      send: () => postEvents(tenant.key, big(33 * 1024)),
    },
    {
      name: 'a 2 MiB body (declared)',
      status: 413,
      type: 'payload-too-large',
      send: () => postEvents(tenant.key, JSON.stringify({ events: [big(2 * 1024 * 1024)] })),
    },
    {
      name: 'a 2 MiB body (streamed, no length)',
      status: 413,
      type: 'payload-too-large',
      send: () => {
        const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 32) controller.close();
            else {
              sent++;
              controller.enqueue(chunk);
            }
          },
        });
        return postEvents(tenant.key, stream);
      },
    },
    {
      name: 'a gzip bomb',
      status: 413,
      type: 'payload-too-large',
      send: () =>
        postEvents(tenant.key, gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 }), {
          'content-encoding': 'gzip',
        }),
    },
    {
      name: 'corrupt gzip',
      status: 400,
      type: 'bad-request',
      send: () =>
        postEvents(tenant.key, new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]), { 'content-encoding': 'gzip' }),
    },
    {
      name: 'nesting depth 50',
      status: 400,
      type: 'validation-failed',
      send: () => postEvents(tenant.key, JSON.stringify(sampleEvent({ properties: nested(50) }))),
    },
    {
      name: 'invalid UTF-8',
      status: 400,
      type: 'bad-request',
      send: () => postEvents(tenant.key, new Uint8Array([0x7b, 0x22, 0x73, 0xff, 0xfe, 0x22, 0x7d])),
    },
    {
      name: 'wrong field types',
      status: 400,
      type: 'validation-failed',
      send: () => postEvents(tenant.key, JSON.stringify({ source: 42, status: 'ok', latencyMs: 'fast' })),
    },
    {
      name: 'an unknown content type',
      status: 415,
      type: 'unsupported-media-type',
      send: () => postEvents(tenant.key, JSON.stringify(sampleEvent()), { 'content-type': 'text/plain' }),
    },
    {
      name: 'an unknown content encoding',
      status: 415,
      type: 'unsupported-media-type',
      send: () => postEvents(tenant.key, JSON.stringify(sampleEvent()), { 'content-encoding': 'br' }),
    },
    {
      name: '1,001 events',
      status: 413,
      type: 'payload-too-large',
      send: () =>
        postEvents(tenant.key, JSON.stringify({ events: Array.from({ length: 1001 }, () => ({ source: 's' })) })),
    },
    {
      name: 'an empty events array',
      status: 400,
      type: 'bad-request',
      send: () => postEvents(tenant.key, '{"events":[]}'),
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const res = await c.send();
      const body = await expectProblem(res, c.status, c.type);
      expectRateLimitHeaders(res);
      expect(typeof body.detail).toBe('string');
      expect(typeof body.requestId).toBe('string');
    });
  }

  it('lists each wrong field of a single event', async () => {
    const res = await postEvents(tenant.key, JSON.stringify({ source: 42, status: 'ok' }));
    const body = await expectProblem(res, 400, 'validation-failed');
    const paths = (body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['source', 'status']);
  });

  it('stored nothing for any of the bad requests', async () => {
    const rows = await withDb(async (db) => {
      const r = await db.execute<{ id: string }>(
        sql`SELECT id FROM events WHERE tenant_id = ${tenant.tenantId} AND source <> 'stripe'`,
      );
      return r.rows;
    });
    expect(rows).toEqual([]);
  });
});

describe('POST /v1/events: credentials', () => {
  it('refuses a request without a key (401)', async () => {
    await expectProblem(await postEvents(null, JSON.stringify(sampleEvent())), 401, 'unauthorized');
  });

  it('refuses an unknown key (401)', async () => {
    const res = await postEvents(`ps_live_${'A'.repeat(43)}`, JSON.stringify(sampleEvent()));
    await expectProblem(res, 401, 'unauthorized');
  });

  it('refuses a key without the ingest scope (403)', async () => {
    const reader = await createIngestTenant({ scopes: ['read'] });
    await expectProblem(await postEvents(reader.key, JSON.stringify(sampleEvent())), 403, 'forbidden');
  });

  it('refuses a key revoked at the gate from the next request on (401)', async () => {
    const t = await createIngestTenant();
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);
    await env.TENANT_GATE.getByName(t.tenantId).putKey({
      keyId: t.keyId,
      keyHash: t.keyHash,
      scopes: ['ingest', 'read'],
      revoked: true,
    });
    await expectProblem(await postEvents(t.key, JSON.stringify(sampleEvent())), 401, 'unauthorized');
  });

  it('admits a key the gate never heard of after looking it up in the database, and teaches the gate', async () => {
    const t = await createIngestTenant({ skipGate: true });
    expect(await env.TENANT_GATE.getByName(t.tenantId).getKey(t.keyHash)).toBeNull();
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()))).status).toBe(202);
    expect(await env.TENANT_GATE.getByName(t.tenantId).getKey(t.keyHash)).toMatchObject({
      keyId: t.keyId,
      revoked: false,
    });
  });
});

describe('POST /v1/events: limits', () => {
  it('says which limit was hit: the tenant bucket, with Retry-After', async () => {
    const t = await createIngestTenant({ rateLimitPerSec: 1, rateLimitBurst: 10 });
    const ok = await postEvents(t.key, JSON.stringify({ events: Array.from({ length: 10 }, () => sampleEvent()) }));
    expect(ok.status).toBe(202);
    expect(ok.headers.get('RateLimit-Remaining')).toBe('0');
    const res = await postEvents(t.key, JSON.stringify({ events: Array.from({ length: 5 }, () => sampleEvent()) }));
    const body = await expectProblem(res, 429, 'rate-limited');
    expect(body.detail).toMatch(/tenant's rate limit/);
    expect(res.headers.get('RateLimit-Scope')).toBe('tenant');
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expectRateLimitHeaders(res);
  });

  it('refuses over the monthly quota with 429 and charges nothing for a refused request', async () => {
    const t = await createIngestTenant({ monthlyEventQuota: 150 });
    const batch = (n: number) => JSON.stringify({ events: Array.from({ length: n }, () => sampleEvent()) });
    expect((await postEvents(t.key, batch(100))).status).toBe(202);
    const over = await postEvents(t.key, batch(100));
    const body = await expectProblem(over, 429, 'quota-exceeded');
    expect(body.detail).toMatch(/monthly event quota \(150\)/);
    expect(over.headers.get('RateLimit-Scope')).toBe('quota');
    // The refused 100 were not charged: 50 still fit.
    expect((await postEvents(t.key, batch(50))).status).toBe(202);
    expect((await postEvents(t.key, batch(1))).status).toBe(429);
  });

  it('is exact under concurrency: 50 parallel requests against a bucket of 1,000 with no refill', async () => {
    const t = await createIngestTenant({ rateLimitPerSec: 0, rateLimitBurst: 1000 });
    const body = JSON.stringify({ events: Array.from({ length: 25 }, () => sampleEvent()) });
    const responses = await Promise.all(Array.from({ length: 50 }, () => postEvents(t.key, body)));
    const statuses = responses.map((r) => r.status);
    const accepted = await Promise.all(
      responses.filter((r) => r.status === 202).map(async (r) => ((await r.json()) as Accepted).accepted),
    );
    expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    await waitFor('1,000 rows', async () => (await storedCounts(t.tenantId)).events === 1000);
  });
});

describe('POST /v1/events: Idempotency-Key', () => {
  it('returns the first response byte-for-byte on a repeat, and charges once', async () => {
    const t = await createIngestTenant({ rateLimitPerSec: 0, rateLimitBurst: 10 });
    const body = JSON.stringify({ events: Array.from({ length: 6 }, () => sampleEvent()) });
    const first = await postEvents(t.key, body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(202);
    const firstText = await first.text();
    // Retry until the gate confirmed the first send (it does so right after the 202, off the latency path).
    let second: Response | undefined;
    await waitFor('the replay', async () => {
      second = await postEvents(t.key, body, { 'idempotency-key': 'order-42' });
      return second.status !== 409;
    });
    expect(second?.status).toBe(202);
    expect(await second?.text()).toBe(firstText);
    expect(second?.headers.get('idempotent-replayed')).toBe('true');
    // 6 of 10 tokens were charged once: 4 remain.
    expect(second?.headers.get('RateLimit-Remaining')).toBe('4');
    await waitFor('6 rows', async () => (await storedCounts(t.tenantId)).events === 6);
  });

  it('refuses the same key with a different body (422)', async () => {
    const t = await createIngestTenant();
    expect((await postEvents(t.key, JSON.stringify(sampleEvent()), { 'idempotency-key': 'k-1' })).status).toBe(202);
    const res = await postEvents(t.key, JSON.stringify(sampleEvent({ status: 500 })), { 'idempotency-key': 'k-1' });
    await expectProblem(res, 422, 'unprocessable');
  });
});
