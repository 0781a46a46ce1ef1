/**
 * The SDK inside workerd: the same runtime as a customer's Worker. Events go through the real ingest route
 * (gzip'd by workerd's CompressionStream), the queue and the consumer, into Postgres.
 */
import { exports } from 'cloudflare:workers';
import { PulseStream } from '@pulsestream/sdk';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';
import { createIngestTenant, type IngestTenant, storedCounts, waitFor } from '../helpers/ingest';

let tenant: IngestTenant;

beforeAll(async () => {
  await truncateAll();
  tenant = await createIngestTenant();
});

describe('@pulsestream/sdk in workerd', () => {
  it('sends tracked and instrumented calls through the real ingest route', async () => {
    const seen: string[] = [];
    const client = new PulseStream({
      apiKey: tenant.key,
      endpoint: 'http://ps.test',
      fetch: (input, init) => {
        const req = new Request(input, init);
        seen.push(req.headers.get('content-encoding') ?? 'identity');
        return exports.default.fetch(req);
      },
    });
    for (let i = 0; i < 40; i++) {
      client.track({ source: 'stripe', endpoint: 'POST /v1/charges', status: 200, latencyMs: i, id: `sdk-wd-${i}` });
    }
    const upstream = async (_input: Request | string | URL, _init?: RequestInit) => new Response('{}', { status: 404 });
    const fetch = client.instrumentFetch(upstream);
    const res = await fetch('https://api.stripe.com/v1/customers/cus_NffrFeUfNV2Hib', { method: 'DELETE' });
    expect(res.status).toBe(404);
    await client.close();

    expect(client.stats()).toMatchObject({ tracked: 41, sent: 41, failed: 0, dropped: 0 });
    expect(seen).toEqual(['gzip']);
    await waitFor('41 events stored', async () => (await storedCounts(tenant.tenantId)).events === 41);
    const row = await withDb(async (db) => {
      const r = await db.execute<Record<string, unknown>>(
        sql`SELECT source, endpoint, method, status, type FROM events
            WHERE tenant_id = ${tenant.tenantId} AND id NOT LIKE 'sdk-wd-%'`,
      );
      return r.rows;
    });
    expect(row).toEqual([
      { source: 'stripe', endpoint: 'DELETE /v1/customers/:id', method: 'DELETE', status: 404, type: 'api_call' },
    ]);
  });
});
