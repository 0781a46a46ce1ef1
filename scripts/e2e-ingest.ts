// End to end under `wrangler dev` on the embedded database: 10,000 events sent in 100 requests of 100 appear in
// `events` exactly once, and the minute rollups count exactly as many. Exit code 0 = pass.
//
//   npx tsx scripts/e2e-ingest.ts     # own stack on free ports (BENCH_URL + BENCH_PG_URL reuse a running one)
import pg from 'pg';
import { createTenant, startStack } from './lib/dev-stack';

const REQUESTS = 100;
const PER_REQUEST = 100;
const TOTAL = REQUESTS * PER_REQUEST;

const stack = await startStack();
let failed = false;
try {
  const { tenantId, key } = await createTenant(stack.pgUrl);
  const ids = new Set<string>();
  for (let wave = 0; wave < REQUESTS / 10; wave++) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, r) => {
        const events = Array.from({ length: PER_REQUEST }, (_, i) => ({
          source: ['stripe', 'openai', 'twilio'][i % 3],
          endpoint: 'POST /v1/charges',
          status: (wave * 1000 + r * 100 + i) % 10 === 0 ? 503 : 200,
          latencyMs: 10 + i,
        }));
        const res = await fetch(`${stack.base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify({ events }),
        });
        const body = (await res.json()) as { accepted?: number; ids?: string[] };
        if (res.status !== 202 || body.accepted !== PER_REQUEST) {
          throw new Error(`request answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        }
        for (const id of body.ids ?? []) ids.add(id);
      }),
    );
  }
  if (ids.size !== TOTAL) throw new Error(`expected ${TOTAL} distinct ids, got ${ids.size}`);
  console.log(`[e2e] ${TOTAL} events accepted in ${REQUESTS} requests`);

  const client = new pg.Client({ connectionString: stack.pgUrl });
  await client.connect();
  try {
    const started = Date.now();
    let counts = { events: 0, rollups: 0, errors: 0, rolledErrors: 0 };
    while (Date.now() - started < 120_000) {
      const r = await client.query<{ e: string; r: string; x: string; y: string }>(
        `SELECT (SELECT count(*) FROM events WHERE tenant_id = $1)::text AS e,
                (SELECT coalesce(sum(count), 0) FROM event_rollups_1m WHERE tenant_id = $1)::text AS r,
                (SELECT count(*) FROM events WHERE tenant_id = $1 AND status >= 500)::text AS x,
                (SELECT coalesce(sum(errors), 0) FROM event_rollups_1m WHERE tenant_id = $1)::text AS y`,
        [tenantId],
      );
      const row = r.rows[0];
      counts = {
        events: Number(row?.e),
        rollups: Number(row?.r),
        errors: Number(row?.x),
        rolledErrors: Number(row?.y),
      };
      if (counts.events >= TOTAL) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(`[e2e] stored after ${Date.now() - started} ms: ${JSON.stringify(counts)}`);
    if (counts.events !== TOTAL) throw new Error(`events table holds ${counts.events}, expected ${TOTAL}`);
    if (counts.rollups !== TOTAL) throw new Error(`rollups count ${counts.rollups}, expected ${TOTAL}`);
    if (counts.errors !== TOTAL / 10 || counts.rolledErrors !== TOTAL / 10) {
      throw new Error(`error counts differ: rows ${counts.errors}, rollups ${counts.rolledErrors}`);
    }
    console.log('[e2e] PASS: every event stored exactly once, rollups equal row counts');
  } finally {
    await client.end();
  }
} catch (err) {
  failed = true;
  console.error(`[e2e] FAILED: ${(err as Error).message}`);
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
