import { DDSketch } from '@pulsestream/core/ddsketch';
import { insertEvents, rebuildRollupLevels } from '@pulsestream/db';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll, withDb } from '../helpers/db';

const TENANT = '00000000-0000-4000-8000-0000000005a1';
const MINUTE = Date.UTC(2026, 10, 2, 9, 30);

beforeAll(async () => {
  await truncateAll();
});

const event = (id: string, latencyMs: number | null, extra: { status?: number; country?: string } = {}) => ({
  tenantId: TENANT,
  id,
  timestamp: MINUTE + 1_000,
  receivedAt: MINUTE + 2_000,
  type: 'api_call',
  source: 'stripe',
  endpoint: 'POST /v1/charges',
  method: 'POST',
  status: extra.status ?? 200,
  latencyMs,
  country: extra.country ?? 'DE',
  properties: null,
});

describe('rollup latency sketches', () => {
  it('stores DDSketch bucket counts that match core mapping, merged on conflict, once per event id', async () => {
    const latencies = [0, 1, 12.5, 12.5, 99, 250, 1_000, 4_321.5];
    await withDb(async (db) => {
      await insertEvents(
        db,
        latencies.slice(0, 4).map((l, i) => event(`s-${i}`, l)),
      );
      // A second batch for the same rollup key merges; a redelivered id and a null latency add nothing.
      await insertEvents(db, [
        ...latencies.slice(4).map((l, i) => event(`s-${i + 4}`, l)),
        event('s-0', 0),
        event('s-null', null),
      ]);
      const { rows } = await db.execute<{ latency_sketch: Record<string, number>; latency_count: string }>(
        sql`SELECT latency_sketch, latency_count::text FROM event_rollups_1m WHERE tenant_id = ${TENANT}`,
      );
      expect(rows).toHaveLength(1);
      const expected = new DDSketch(0.01);
      for (const l of latencies) expected.add(l);
      const data = expected.toJSON();
      const want: Record<string, number> = {};
      data.k.forEach((k, i) => {
        want[String(k)] = data.c[i] ?? 0;
      });
      if (data.z > 0) want['-1000000'] = data.z;
      expect(rows[0]?.latency_sketch).toEqual(want);
      expect(rows[0]?.latency_count).toBe(String(latencies.length));

      const levels = await db.execute<{
        level: string;
        source: string;
        dimension: string;
        latency_sketch: Record<string, number>;
        latency_count: string;
        count: string;
        latency_p50: number | null;
        latency_p95: number | null;
        latency_p99: number | null;
      }>(
        sql`SELECT level, source, dimension, latency_sketch, latency_count::text, count::text, latency_p50,
                   latency_p95, latency_p99
            FROM event_rollups_agg_1m WHERE tenant_id = ${TENANT}
            ORDER BY level, source COLLATE "C", dimension COLLATE "C"`,
      );
      // One row per level, in the enum's order: the tenant by minute and by hour, the source, the endpoint,
      // the country and the status class by minute and by hour.
      expect(levels.rows.map((r) => [r.level, r.source, r.dimension])).toEqual([
        ['tenant', '', ''],
        ['tenant_hour', '', ''],
        ['source', 'stripe', ''],
        ['endpoint', 'stripe', 'POST /v1/charges'],
        ['country', '', 'DE'],
        ['country_hour', '', 'DE'],
        ['status', '', '2'],
        ['status_hour', '', '2'],
      ]);
      for (const row of levels.rows) {
        expect(row.count).toBe(String(latencies.length + 1));
        expect(row.latency_count).toBe(String(latencies.length));
        if (row.level === 'endpoint') {
          // The endpoint level keeps counts only.
          expect(row.latency_sketch).toEqual({});
          expect(row.latency_p95).toBeNull();
          continue;
        }
        expect(row.latency_sketch).toEqual(want);
        // The trigger's percentiles are exactly DDSketch's.
        expect(row.latency_p50).toBeCloseTo(expected.quantile(0.5) ?? Number.NaN, 9);
        expect(row.latency_p95).toBeCloseTo(expected.quantile(0.95) ?? Number.NaN, 9);
        expect(row.latency_p99).toBeCloseTo(expected.quantile(0.99) ?? Number.NaN, 9);
      }
    });
  });

  it('keeps one per-source histogram across rollup keys', async () => {
    await withDb(async (db) => {
      await insertEvents(db, [
        { ...event('m-1', 10, { status: 500, country: 'FR' }), timestamp: MINUTE + 60_000 },
        { ...event('m-2', 10, { status: 200, country: 'US' }), timestamp: MINUTE + 61_000 },
      ]);
      const { rows } = await db.execute<{ n: string }>(
        sql`SELECT count(*)::text AS n FROM event_rollups_1m WHERE tenant_id = ${TENANT} AND minute = ${new Date(MINUTE + 60_000).toISOString()}`,
      );
      expect(rows[0]?.n).toBe('2');
      const perSource = await db.execute<{ latency_sketch: Record<string, number> }>(
        sql`SELECT latency_sketch FROM event_rollups_agg_1m
            WHERE tenant_id = ${TENANT} AND level = 'source' AND source = 'stripe'
              AND minute = ${new Date(MINUTE + 60_000).toISOString()}`,
      );
      const key = String(Math.ceil(Math.log(10) / Math.log(1.01 / 0.99)));
      expect(perSource.rows[0]?.latency_sketch).toEqual({ [key]: 2 });
    });
  });

  it('keeps a real source or endpoint named "*" apart from the aggregate rows', async () => {
    const minute = MINUTE + 5 * 60_000;
    await withDb(async (db) => {
      await insertEvents(db, [
        { ...event('star-1', 10), source: '*', endpoint: '*', timestamp: minute },
        { ...event('star-2', 10), timestamp: minute },
      ]);
      const { rows } = await db.execute<{ level: string; source: string; dimension: string; count: string }>(
        sql`SELECT level, source, dimension, count::text FROM event_rollups_agg_1m
            WHERE tenant_id = ${TENANT} AND minute = ${new Date(minute).toISOString()}
            ORDER BY level, source COLLATE "C", dimension COLLATE "C"`,
      );
      expect(rows.map((r) => [r.level, r.source, r.dimension, r.count])).toEqual([
        ['tenant', '', '', '2'],
        ['source', '*', '', '1'],
        ['source', 'stripe', '', '1'],
        ['endpoint', '*', '*', '1'],
        ['endpoint', 'stripe', 'POST /v1/charges', '1'],
        ['country', '', 'DE', '2'],
        ['status', '', '2', '2'],
      ]);
    });
  });
});

describe('rebuildRollupLevels', () => {
  it('rebuilds from the full rollups exactly the rows insertEvents writes, at every level', async () => {
    const minute = MINUTE + 20 * 60_000;
    const levelRows = sql`SELECT level, source, dimension, minute, count::text, errors::text,
                                 latency_count::text, latency_sum, latency_min, latency_max, latency_sketch,
                                 latency_p50, latency_p95, latency_p99
                          FROM event_rollups_agg_1m
                          WHERE tenant_id = ${TENANT} AND minute >= date_trunc('hour', ${new Date(minute).toISOString()}::timestamptz)
                          ORDER BY level, source COLLATE "C", dimension COLLATE "C", minute`;
    await withDb(async (db) => {
      await db.execute(sql`DELETE FROM event_rollups_1m WHERE tenant_id = ${TENANT}`);
      await db.execute(sql`DELETE FROM event_rollups_agg_1m WHERE tenant_id = ${TENANT}`);
      await insertEvents(
        db,
        Array.from({ length: 40 }, (_, i) => ({
          ...event(`bf-${i}`, i % 7 === 0 ? null : 5 + i * 3.5, {
            status: [200, 201, 404, 500, 503][i % 5],
            country: ['DE', 'FR', 'US'][i % 3],
          }),
          source: ['stripe', 'github'][i % 2] ?? 'stripe',
          endpoint: ['POST /v1/charges', 'GET /v1/charges', ''][i % 3] ?? '',
          timestamp: minute + (i % 3) * 60_000,
          ...(i % 11 === 0 ? { status: null, country: null, endpoint: null } : {}),
        })),
      );
      const written = (await db.execute(levelRows)).rows;
      // 3 minutes × (tenant + 2 sources + endpoints + 4 countries + 5 status classes) and their hours.
      expect(new Set(written.map((r) => r.level))).toEqual(
        new Set(['tenant', 'tenant_hour', 'source', 'endpoint', 'country', 'country_hour', 'status', 'status_hour']),
      );
      await db.execute(sql`DELETE FROM event_rollups_agg_1m WHERE tenant_id = ${TENANT}`);
      await rebuildRollupLevels(db, { tenantId: TENANT });
      expect((await db.execute(levelRows)).rows).toEqual(written);
      // Idempotent: a second run changes nothing.
      await rebuildRollupLevels(db, { tenantId: TENANT });
      expect((await db.execute(levelRows)).rows).toEqual(written);
      // One level alone.
      await db.execute(sql`DELETE FROM event_rollups_agg_1m WHERE tenant_id = ${TENANT} AND level = 'status_hour'`);
      await rebuildRollupLevels(db, { tenantId: TENANT, levels: ['status_hour'] });
      expect((await db.execute(levelRows)).rows).toEqual(written);
    });
  });
});
