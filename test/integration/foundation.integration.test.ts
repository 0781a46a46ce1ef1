import { exports } from 'cloudflare:workers';
import { insertEvents } from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';

const TENANT = '00000000-0000-4000-8000-000000000001';

beforeAll(async () => {
  await truncateAll();
});

describe('health', () => {
  it('reports ok with a working database check', async () => {
    const res = await exports.default.fetch('http://ps.test/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: { db: { status: string }; queue: { status: string } };
    };
    expect(body.status).toBe('ok');
    expect(body.checks.db.status).toBe('ok');
    expect(body.checks.queue.status).toBe('ok');
    expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });
});

describe('problem responses', () => {
  it('answers an unknown route with a 404 problem and a request id', async () => {
    const res = await exports.default.fetch('http://ps.test/v1/nope', { headers: { 'x-request-id': 'req-12345678' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'https://pulsestream.dev/errors/not-found',
      status: 404,
      requestId: 'req-12345678',
    });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

describe('malformed JSON', () => {
  it('answers a truncated JSON body with a malformed-json problem, a request id and no stack trace', async () => {
    const res = await exports.default.fetch('http://ps.test/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@b.c", "password": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.type).toBe('https://pulsestream.dev/errors/malformed-json');
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|\.ts:\d+|\.js:\d+/);
  });
});

describe('events table through the data layer', () => {
  const event = (id: string, minute: number) => ({
    tenantId: TENANT,
    id,
    timestamp: Date.UTC(2026, 10, 1, 12, minute),
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 42,
    properties: { attempt: 1 },
  });

  it('stores the same event id once and counts it once in the rollups', async () => {
    await withDb(async (db) => {
      const first = await insertEvents(db, [event('evt-1', 0), event('evt-2', 0)]);
      expect(first.inserted).toHaveLength(2);
      // Redelivery of the same ids (one even with another timestamp): nothing new.
      const second = await insertEvents(db, [event('evt-1', 0), event('evt-2', 1)]);
      expect(second.inserted).toHaveLength(0);
      const rows = await db.execute<{ n: string }>(
        sql`SELECT count(*)::text AS n FROM events WHERE tenant_id = ${TENANT}`,
      );
      expect(rows.rows[0]?.n).toBe('2');
      const rollups = await db.execute<{ n: string }>(
        sql`SELECT coalesce(sum(count), 0)::text AS n FROM event_rollups_1m WHERE tenant_id = ${TENANT}`,
      );
      expect(rollups.rows[0]?.n).toBe('2');
    });
  });

  it('reports exactly the rows inserted when a batch is partly new', async () => {
    await withDb(async (db) => {
      const res = await insertEvents(db, [event('evt-1', 0), event('evt-4', 3), event('evt-2', 0)]);
      expect(res.inserted).toEqual([{ tenantId: TENANT, id: 'evt-4' }]);
    });
  });

  it('deduplicates ids repeated inside one batch', async () => {
    await withDb(async (db) => {
      const res = await insertEvents(db, [event('evt-3', 2), event('evt-3', 2)]);
      expect(res.inserted).toEqual([{ tenantId: TENANT, id: 'evt-3' }]);
    });
  });
});
