/**
 * The official Segment Node client against a real local stack (`npm run dev` on free ports): 1,000 track
 * calls are stored exactly once, and a resend of the same messageIds stores none.
 */
import { Analytics } from '@segment/analytics-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Stack, startStack } from '../lib/dev-stack';

let stack: Stack;
let tenant: { tenantId: string; key: string };

beforeAll(async () => {
  stack = await startStack();
  tenant = await createTenant(stack.pgUrl);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function stored(): Promise<number> {
  const client = new pg.Client({ connectionString: stack.pgUrl });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM events WHERE tenant_id = $1 AND source = 'segment'`,
      [tenant.tenantId],
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function waitForCount(expected: number, limitMs = 60_000): Promise<number> {
  const started = Date.now();
  let n = await stored();
  while (n < expected && Date.now() - started < limitMs) {
    await new Promise((r) => setTimeout(r, 250));
    n = await stored();
  }
  return n;
}

function analytics(statuses: number[]): Analytics {
  // The client resolves `path` against `host` (new URL(path, host)), so the prefix goes in the path.
  const a = new Analytics({ writeKey: tenant.key, host: stack.base, path: '/v1/segment/v1/batch', flushInterval: 200 });
  a.on('http_response', (r) => {
    statuses.push(r.status);
    if (r.status !== 200) console.error('segment response', r.status, r.body);
  });
  a.on('error', (err) => {
    throw new Error(`segment client error: ${JSON.stringify(err)}`);
  });
  return a;
}

describe('@segment/analytics-node against the local stack', () => {
  it('stores 1,000 track calls exactly once, and a resend of the same messageIds stores none', async () => {
    const statuses: number[] = [];
    const first = analytics(statuses);
    const messageIds: string[] = [];
    first.on('http_request', (req) => {
      for (const m of (JSON.parse(req.body) as { batch: { messageId: string }[] }).batch) messageIds.push(m.messageId);
    });
    for (let i = 0; i < 1000; i++) {
      first.track({ userId: `user-${i % 37}`, event: 'Order Completed', properties: { i, total: i * 1.5 } });
    }
    await first.closeAndFlush({ timeout: 60_000 });
    expect(messageIds).toHaveLength(1000);
    expect(new Set(messageIds).size).toBe(1000);
    expect(messageIds[0]).toMatch(/^node-next-\d+-[0-9a-f-]{36}$/);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const afterFirst = await waitForCount(1000);
    expect(afterFirst).toBe(1000);

    const resendStatuses: number[] = [];
    const second = analytics(resendStatuses);
    messageIds.forEach((messageId, i) => {
      second.track({
        userId: `user-${i % 37}`,
        event: 'Order Completed',
        properties: { i, total: i * 1.5 },
        messageId,
      });
    });
    await second.closeAndFlush({ timeout: 60_000 });
    expect(resendStatuses.length).toBeGreaterThan(0);
    expect(new Set(resendStatuses)).toEqual(new Set([200]));
    // The resend was admitted (200) and reached the consumer; a sentinel sent after it, through the same
    // queue, marks when the resend has been processed.
    const third = analytics([]);
    third.track({ userId: 'sentinel', event: 'Sentinel', messageId: 'sentinel-after-resend' });
    await third.closeAndFlush({ timeout: 30_000 });
    expect(await waitForCount(1001)).toBe(1001);
    expect(await stored()).toBe(1001);
  }, 180_000);
});
