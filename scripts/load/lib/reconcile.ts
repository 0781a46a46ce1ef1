// Reconciliation from outside: every id acknowledged with 202 against the rows in PostgreSQL, and the rollups
// against the rows. Ids are client-supplied and unique to the run; every tenant is fresh, so all of its rows
// come from this run.
import { ROLLUP_LEVELS } from '@pulsestream/db/schema/rollup-levels';
import pg from 'pg';

/** What the generator learned about one tenant's events from the answers it got. */
export interface Ledger {
  tenantId: string;
  name: string;
  /** Clean events answered 202 (listed in `ids`). */
  acked: Set<string>;
  /** Events whose request ended without a clear answer (timeout, dropped connection, 5xx): may be stored. */
  maybe: Set<string>;
  /** Poison events the edge acknowledged (202 with their id), by kind. */
  poisonAcked: Map<string, string>;
}

export interface TenantReport {
  name: string;
  acked: number;
  stored: number;
  lost: string[];
  /** Stored, but never acknowledged and not from a request with an unknown outcome: a refused event stored. */
  phantom: string[];
  maybeStored: number;
  duplicateIds: number;
  rollupMismatches: { level: string; bucket: string; rows: number; rollup: number }[];
  poisonAcked: number;
  poisonStored: { id: string; kind: string }[];
  poisonDeadLettered: { id: string; kind: string; reason: string }[];
  poisonMissing: { id: string; kind: string }[];
  /** Clean events found in a dead letter (an innocent batch-mate not stored). */
  innocentDeadLettered: number;
  deadLetters: { messageId: string; reason: string; attempts: number; events: number }[];
}

export async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Letter {
  message_id: string;
  reason: string;
  attempts: number;
  body: string;
}

function eventIdsOf(body: string): string[] {
  try {
    let parsed = JSON.parse(body) as unknown;
    // A letter stored as text may hold the JSON of the message as a string.
    if (typeof parsed === 'string') parsed = JSON.parse(parsed);
    const events = (parsed as { events?: { id?: unknown }[] }).events;
    return Array.isArray(events) ? events.map((e) => String(e?.id)) : [];
  } catch {
    // Unparseable letter body: fall back to scanning for the run's id pattern.
    return [...body.matchAll(/"id":\s*"([^"]+)"/g)].map((m) => m[1] ?? '');
  }
}

async function letters(c: pg.Client, tenantId: string): Promise<Letter[]> {
  const r = await c.query<Letter>(
    'SELECT message_id, reason, attempts, body::text AS body FROM dead_letters WHERE tenant_id = $1',
    [tenantId],
  );
  return r.rows;
}

/**
 * Waits until every acknowledged clean event is stored and every acknowledged poison event is stored or
 * dead-lettered, then a few seconds more for anything late (a redelivery that would double-count); or
 * until the bound. Returns the milliseconds waited and whether the pipeline drained.
 */
export async function waitForDrain(
  url: string,
  ledgers: Ledger[],
  boundMs: number,
  log: (s: string) => void,
): Promise<{ ms: number; drained: boolean }> {
  const started = Date.now();
  let lastLog = 0;
  let reachedAt: number | undefined;
  for (;;) {
    let pending = 0;
    try {
      await withPg(url, async (c) => {
        for (const l of ledgers) {
          // The cheap count first; the exact check of the acknowledged ids only once the count is there.
          const all = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE tenant_id = $1', [
            l.tenantId,
          ]);
          const total = all.rows[0]?.n ?? 0;
          if (total < l.acked.size) {
            pending += l.acked.size - total;
          } else {
            const stored = await c.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND id = ANY($2)',
              [l.tenantId, [...l.acked]],
            );
            pending += l.acked.size - (stored.rows[0]?.n ?? 0);
          }
          if (l.poisonAcked.size > 0) {
            const ids = [...l.poisonAcked.keys()];
            const s = await c.query<{ id: string }>('SELECT id FROM events WHERE tenant_id = $1 AND id = ANY($2)', [
              l.tenantId,
              ids,
            ]);
            const seen = new Set(s.rows.map((r) => r.id));
            for (const letter of await letters(c, l.tenantId)) for (const id of eventIdsOf(letter.body)) seen.add(id);
            pending += ids.filter((id) => !seen.has(id)).length;
          }
        }
      });
    } catch (err) {
      pending = Number.POSITIVE_INFINITY;
      log(`drain: database not reachable yet (${(err as Error).message})`);
    }
    const now = Date.now();
    if (pending === 0) {
      reachedAt ??= now;
      if (now - reachedAt >= 5000) return { ms: now - started, drained: true };
    } else {
      reachedAt = undefined;
    }
    if (now - started > boundMs) return { ms: now - started, drained: false };
    if (now - lastLog > 10_000) {
      log(
        `drain: ${pending} acknowledged events not yet stored or dead-lettered (${Math.round((now - started) / 1000)} s)`,
      );
      lastLog = now;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function reconcile(
  url: string,
  ledgers: Ledger[],
): Promise<{ tenants: TenantReport[]; uniqueKey: string }> {
  return withPg(url, async (c) => {
    // The unique key that makes "stored once" hold: the primary key of events.
    const key = await c.query<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
       WHERE i.indrelid = 'events'::regclass AND i.indisunique`,
    );
    const uniqueKey = key.rows.map((r) => r.def).join('; ') || 'NONE';
    const tenants: TenantReport[] = [];
    for (const l of ledgers) {
      const rows = await c.query<{ id: string }>('SELECT id FROM events WHERE tenant_id = $1', [l.tenantId]);
      const stored = new Set<string>();
      let duplicateIds = 0;
      for (const r of rows.rows) {
        if (stored.has(r.id)) duplicateIds++;
        stored.add(r.id);
      }
      const lost = [...l.acked].filter((id) => !stored.has(id));
      const phantom = [...stored].filter((id) => !l.acked.has(id) && !l.maybe.has(id) && !l.poisonAcked.has(id));
      const maybeStored = [...l.maybe].filter((id) => stored.has(id) && !l.acked.has(id)).length;

      const mismatches: TenantReport['rollupMismatches'] = [];
      const levels: { level: string; sql: string }[] = [
        {
          level: 'event_rollups_1m (minute)',
          sql: `WITH e AS (SELECT date_trunc('minute', ts) AS b, count(*)::bigint AS n FROM events WHERE tenant_id = $1 GROUP BY 1),
                     r AS (SELECT minute AS b, sum(count)::bigint AS n FROM event_rollups_1m WHERE tenant_id = $1 GROUP BY 1)
                SELECT coalesce(e.b, r.b) AS b, coalesce(e.n, 0)::bigint AS rows, coalesce(r.n, 0)::bigint AS rollup
                FROM e FULL JOIN r ON e.b = r.b WHERE coalesce(e.n, 0) <> coalesce(r.n, 0)`,
        },
        // Every level of event_rollups_agg_1m partitions all of a tenant's events, so per bucket of its grain
        // its counts add up to the rows.
        ...ROLLUP_LEVELS.map((l) => ({
          level: `event_rollups_agg_1m (${l.level})`,
          sql: `WITH e AS (SELECT date_trunc('${l.grain}', ts) AS b, count(*)::bigint AS n FROM events WHERE tenant_id = $1 GROUP BY 1),
                     r AS (SELECT minute AS b, sum(count)::bigint AS n FROM event_rollups_agg_1m
                           WHERE tenant_id = $1 AND level = '${l.level}' GROUP BY 1)
                SELECT coalesce(e.b, r.b) AS b, coalesce(e.n, 0)::bigint AS rows, coalesce(r.n, 0)::bigint AS rollup
                FROM e FULL JOIN r ON e.b = r.b WHERE coalesce(e.n, 0) <> coalesce(r.n, 0)`,
        })),
      ];
      for (const { level, sql } of levels) {
        try {
          const r = await c.query<{ b: Date; rows: string; rollup: string }>(sql, [l.tenantId]);
          for (const m of r.rows)
            mismatches.push({ level, bucket: m.b.toISOString(), rows: Number(m.rows), rollup: Number(m.rollup) });
        } catch (err) {
          mismatches.push({
            level: `${level}: query failed: ${(err as Error).message}`,
            bucket: '',
            rows: 0,
            rollup: 0,
          });
        }
      }

      const dl = await letters(c, l.tenantId);
      const poisonStored: TenantReport['poisonStored'] = [];
      const poisonDeadLettered: TenantReport['poisonDeadLettered'] = [];
      const lettered = new Map<string, string>();
      let innocentDeadLettered = 0;
      for (const letter of dl) {
        for (const id of eventIdsOf(letter.body)) {
          lettered.set(id, letter.reason);
          if (l.acked.has(id) && !stored.has(id)) innocentDeadLettered++;
        }
      }
      const poisonMissing: TenantReport['poisonMissing'] = [];
      for (const [id, kind] of l.poisonAcked) {
        if (stored.has(id)) poisonStored.push({ id, kind });
        const reason = lettered.get(id);
        if (reason !== undefined) poisonDeadLettered.push({ id, kind, reason });
        if (!stored.has(id) && reason === undefined) poisonMissing.push({ id, kind });
      }
      tenants.push({
        name: l.name,
        acked: l.acked.size,
        stored: stored.size,
        lost,
        phantom,
        maybeStored,
        duplicateIds,
        rollupMismatches: mismatches,
        poisonAcked: l.poisonAcked.size,
        poisonStored,
        poisonDeadLettered,
        poisonMissing,
        innocentDeadLettered,
        deadLetters: dl.map((d) => ({
          messageId: d.message_id,
          reason: d.reason,
          attempts: d.attempts,
          events: eventIdsOf(d.body).length,
        })),
      });
    }
    return { tenants, uniqueKey };
  });
}
