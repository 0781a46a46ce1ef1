// The rollups insertEvents writes, after concurrent writers, redelivered batches and in-batch duplicates, equal a
// from-scratch recomputation from the rows in `events`, derived here in TypeScript (core's sketch mapping and
// DDSketch, the table of levels): exactly-once effect, same counts, sums, extremes, sketches and percentiles.
import { DDSketch } from '@pulsestream/core/ddsketch';
import { sketchKey } from '@pulsestream/core/sketch-buckets';
import { type EventInsert, insertEvents } from '@pulsestream/db';
import { ROLLUP_LEVELS } from '@pulsestream/db/schema/rollup-levels';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDb, truncateAll, withDb } from '../helpers/db';

/** A stored rollup's figures as the checks read them (`key` identifies the row; counts as text: bigint). */
type RollupRow = {
  key: string;
  count: string;
  errors: string;
  latency_count: string;
  latency_sum: number;
  latency_min: number | null;
  latency_max: number | null;
  latency_sketch: Record<string, number>;
};
type Quantiles = {
  latency_p50: number | null;
  latency_p95: number | null;
  latency_p99: number | null;
};

const TENANT = '00000000-0000-4000-8000-0000000005b2';
// Three minutes on each side of an hour boundary, so the hour levels merge rows of two batches' minutes.
const START = Date.UTC(2026, 10, 3, 9, 57);

beforeAll(async () => {
  await truncateAll();
});

const SOURCES = ['stripe', 'openai', 'twilio'];
const ENDPOINTS = ['POST /v1/charges', 'GET /v1/models', '', null];
const COUNTRIES = ['DE', 'US', 'JP', null];
const STATUSES = [200, 201, 404, 429, 500, 503, null];
const LATENCIES = [0, 1e-12, 0.4, 1, 3.25, 12.5, 99.9, 250, 1_000, 4_321.5, null];

function makeEvent(i: number): EventInsert {
  const latency = LATENCIES[(i * 13) % LATENCIES.length];
  return {
    tenantId: TENANT,
    id: `rc-${i}`,
    timestamp: START + ((i * 7919) % 360_000),
    receivedAt: START + 400_000,
    type: i % 17 === 0 ? 'error' : 'api_call',
    source: SOURCES[i % SOURCES.length] ?? 'stripe',
    endpoint: ENDPOINTS[(i * 5) % ENDPOINTS.length] ?? null,
    method: 'POST',
    status: STATUSES[(i * 3) % STATUSES.length] ?? null,
    latencyMs: latency === null || latency === undefined ? null : latency + (i % 4) * 0.125,
    country: COUNTRIES[(i * 11) % COUNTRIES.length] ?? null,
    properties: { i },
  };
}

interface Expected {
  count: number;
  errors: number;
  latencyCount: number;
  latencySum: number;
  min: number | null;
  max: number | null;
  sketch: Map<number, number>;
  values: number[];
}

const empty = (): Expected => ({
  count: 0,
  errors: 0,
  latencyCount: 0,
  latencySum: 0,
  min: null,
  max: null,
  sketch: new Map(),
  values: [],
});

interface StoredEvent extends Record<string, unknown> {
  ts: string;
  type: string;
  source: string;
  endpoint: string | null;
  status: number | null;
  latency_ms: number | null;
  country: string | null;
}

function add(into: Map<string, Expected>, key: string, e: StoredEvent): void {
  const x = into.get(key) ?? empty();
  into.set(key, x);
  x.count += 1;
  if (e.type === 'error' || (e.status ?? 0) >= 500) x.errors += 1;
  if (e.latency_ms !== null) {
    const l = e.latency_ms;
    x.latencyCount += 1;
    x.latencySum += l;
    x.min = x.min === null ? l : Math.min(x.min, l);
    x.max = x.max === null ? l : Math.max(x.max, l);
    if (l >= 0) {
      const k = sketchKey(l);
      x.sketch.set(k, (x.sketch.get(k) ?? 0) + 1);
      x.values.push(l);
    }
  }
}

const sketchObject = (m: Map<number, number>) => Object.fromEntries([...m].map(([k, c]) => [String(k), c]));

describe('rollups after concurrent writers and redelivery', () => {
  it('equal a recomputation from the stored events, at every level, with each event counted once', async () => {
    const events = Array.from({ length: 840 }, (_, i) => makeEvent(i));
    // 12 batches of 70, each also carrying 6 events of the batch before it (a redelivered message) and one
    // event twice (an in-batch duplicate); two batches are redelivered whole at the end.
    const batches: EventInsert[][] = [];
    for (let b = 0; b < 12; b++) {
      const own = events.slice(b * 70, (b + 1) * 70);
      const previous = b > 0 ? events.slice(b * 70 - 6, b * 70) : [];
      batches.push([...own, ...previous, own[3] as EventInsert]);
    }
    const handles = Array.from({ length: 4 }, () => testDb());
    let inserted = 0;
    try {
      let next = 0;
      await Promise.all(
        handles.map(async (h) => {
          for (let b = batches[next++]; b !== undefined; b = batches[next++]) {
            const { inserted: ids } = await insertEvents(h.db, b);
            inserted += ids.length;
          }
        }),
      );
      await Promise.all(
        [batches[2], batches[7]].map(async (b, i) => {
          const { inserted: ids } = await insertEvents((handles[i] ?? handles[0])?.db as never, b ?? []);
          inserted += ids.length;
        }),
      );
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    expect(inserted).toBe(events.length);

    await withDb(async (db) => {
      const stored = (
        await db.execute<StoredEvent>(
          sql`SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, type, source, endpoint,
                     status, latency_ms, country
              FROM events WHERE tenant_id = ${TENANT}`,
        )
      ).rows;
      expect(stored).toHaveLength(events.length);

      // The full minute rollups and every level, from the events.
      const full = new Map<string, Expected>();
      const levels = new Map<string, Expected>();
      for (const e of stored) {
        const t = Date.parse(e.ts);
        const minute = new Date(t - (t % 60_000)).toISOString();
        const hour = new Date(t - (t % 3_600_000)).toISOString();
        const statusClass = e.status === null ? 0 : Math.trunc(e.status / 100);
        add(full, JSON.stringify([minute, e.source, e.endpoint ?? '', statusClass, e.country ?? '']), e);
        for (const l of ROLLUP_LEVELS) {
          const dimension =
            l.dimension === 'endpoint'
              ? (e.endpoint ?? '')
              : l.dimension === 'country'
                ? (e.country ?? '')
                : l.dimension === 'status_class'
                  ? String(statusClass)
                  : '';
          add(
            levels,
            JSON.stringify([l.level, l.bySource ? e.source : '', dimension, l.grain === 'hour' ? hour : minute]),
            e,
          );
        }
      }

      const fullRows = (
        await db.execute<RollupRow>(
          sql`SELECT json_build_array(to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), source,
                                      endpoint, status_class, country)::text AS key,
                     count::text, errors::text, latency_count::text, latency_sum, latency_min, latency_max,
                     latency_sketch
              FROM event_rollups_1m WHERE tenant_id = ${TENANT}`,
        )
      ).rows;
      expect(new Set(fullRows.map((r) => JSON.stringify(JSON.parse(r.key))))).toEqual(new Set(full.keys()));
      for (const r of fullRows) {
        const x = full.get(JSON.stringify(JSON.parse(r.key))) as Expected;
        expect([r.count, r.errors, r.latency_count]).toEqual([
          String(x.count),
          String(x.errors),
          String(x.latencyCount),
        ]);
        expect([r.latency_min, r.latency_max]).toEqual([x.min, x.max]);
        expect(r.latency_sum).toBeCloseTo(x.latencySum, 6);
        expect(r.latency_sketch).toEqual(sketchObject(x.sketch));
      }

      const levelRows = (
        await db.execute<RollupRow & { level: string } & Quantiles>(
          sql`SELECT json_build_array(level, source, dimension,
                                      to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text AS key,
                     level::text, count::text, errors::text, latency_count::text, latency_sum, latency_min,
                     latency_max, latency_sketch, latency_p50, latency_p95, latency_p99
              FROM event_rollups_agg_1m WHERE tenant_id = ${TENANT}`,
        )
      ).rows;
      expect(new Set(levelRows.map((r) => JSON.stringify(JSON.parse(r.key))))).toEqual(new Set(levels.keys()));
      for (const r of levelRows) {
        const x = levels.get(JSON.stringify(JSON.parse(r.key))) as Expected;
        const withSketch = ROLLUP_LEVELS.find((l) => l.level === r.level)?.sketch === true;
        expect([r.count, r.errors, r.latency_count]).toEqual([
          String(x.count),
          String(x.errors),
          String(x.latencyCount),
        ]);
        expect([r.latency_min, r.latency_max]).toEqual([x.min, x.max]);
        expect(r.latency_sum).toBeCloseTo(x.latencySum, 6);
        expect(r.latency_sketch).toEqual(withSketch ? sketchObject(x.sketch) : {});
        if (!withSketch || x.sketch.size === 0) {
          expect([r.latency_p50, r.latency_p95, r.latency_p99]).toEqual([null, null, null]);
          continue;
        }
        // DDSketch over the same values, clamped to the row's extremes as the trigger's quantiles are.
        const sketch = new DDSketch(0.01);
        for (const v of x.values) sketch.add(v);
        const clamp = (v: number | null) => Math.min(x.max ?? Infinity, Math.max(x.min ?? -Infinity, v ?? Number.NaN));
        expect(r.latency_p50).toBeCloseTo(clamp(sketch.quantile(0.5)), 9);
        expect(r.latency_p95).toBeCloseTo(clamp(sketch.quantile(0.95)), 9);
        expect(r.latency_p99).toBeCloseTo(clamp(sketch.quantile(0.99)), 9);
      }
    });
  });
});

describe('insertEvents parameters', () => {
  it('stores text that an array literal must quote, the text "NULL", numbers and two tenants verbatim', async () => {
    // Tenants of their own, so these rows never meet the recomputation above.
    const tenants = ['00000000-0000-4000-8000-0000000005b3', '00000000-0000-4000-8000-0000000005b4'];
    const tricky = ['a "quoted" word', 'back\\slash', '{braces}', 'a,b', ' padded ', 'NULL', '', 'üñï 😀', '\\"'];
    const batch: EventInsert[] = tricky.map((text, i) => ({
      ...makeEvent(10_000 + i),
      id: `param-${i}-${text}`,
      tenantId: tenants[i % 2] ?? TENANT,
      source: text === '' ? 'x' : text,
      endpoint: text,
      region: text,
      city: i === 3 ? null : text,
      latencyMs: [0.1, 1 / 3, 1e-300, 5e6, 123.456, 0, 7, 2 ** 0.5, 1e21][i] ?? null,
      status: [200, null, 404, 599, 100, 201, 302, 500, 204][i] ?? null,
      asn: i === 4 ? null : 4_000_000_000 % 2 ** 31,
    }));
    const handle = testDb();
    try {
      const { inserted } = await insertEvents(handle.db, batch);
      expect(inserted).toHaveLength(batch.length);
      const rows = (
        await handle.db.execute<{
          tenant_id: string;
          id: string;
          source: string;
          endpoint: string | null;
          region: string | null;
          city: string | null;
          latency_ms: number | null;
          status: number | null;
          asn: number | null;
          ms: string;
        }>(
          sql`SELECT tenant_id, id, source, endpoint, region, city, latency_ms, status, asn,
                     (extract(epoch FROM ts) * 1000)::bigint::text AS ms
              FROM events WHERE id LIKE 'param-%'`,
        )
      ).rows;
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const e of batch) {
        expect(byId.get(e.id)).toEqual({
          tenant_id: e.tenantId,
          id: e.id,
          source: e.source,
          endpoint: e.endpoint,
          region: e.region,
          city: e.city,
          latency_ms: e.latencyMs,
          status: e.status,
          asn: e.asn,
          ms: String(e.timestamp),
        });
      }
    } finally {
      await handle.close();
    }
  });
});
