/**
 * The hub's alert series across a restart (deploy, eviction, crash): restored from their checkpoint plus the replay
 * log, so every acknowledged event is counted for alert evaluation exactly once.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { AlertFilter } from '@pulsestream/core/alerting/rule';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_MAX_PENDING, type LiveEvent, type TenantHub } from '../../workers/objects/tenant-hub';
import { type AlertingTenant, createAlertingTenant } from '../helpers/alerting';
import { truncateAll } from '../helpers/db';
import { liveEvent } from '../helpers/live';
import { call } from '../security/helpers';

const MINUTE_MS = 60_000;
const CHARGES = 'POST /v1/charges';

beforeAll(async () => {
  await truncateAll();
});

/** A tenant with one count rule on `filter`, so its hub keeps an alert series for that filter. */
async function tenantWithRule(
  filter: AlertFilter,
  condition: Record<string, unknown> = { op: '>', threshold: 1_000_000 },
): Promise<AlertingTenant & { ruleId: string }> {
  const t = await createAlertingTenant();
  const res = await call('POST', '/v1/alert-rules', {
    bearer: t.bearer,
    body: {
      name: 'volume',
      severity: 'warning',
      metric: 'count',
      window: '5m',
      filter,
      condition,
      for: '1m',
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { ...t, ruleId: ((await res.json()) as { id: string }).id };
}

function events(n: number, at: number, overrides: Partial<LiveEvent> = {}): LiveEvent[] {
  return Array.from({ length: n }, () => liveEvent({ id: crypto.randomUUID(), timestamp: at, ...overrides }));
}

/** Rows waiting in the hub's replay log. */
async function pendingRows(t: AlertingTenant): Promise<number> {
  return runInDurableObject(
    t.hub,
    (_: TenantHub, state) => state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM pending').one().n,
  );
}

/**
 * Restarts the hub as a deploy or an eviction would, before any alarm could checkpoint (the alarm is deleted
 * first, so a slow machine cannot checkpoint behind the test's back), and returns the new instance's stub.
 */
async function restart(t: AlertingTenant): Promise<DurableObjectStub<TenantHub>> {
  await runInDurableObject(t.hub, (_: TenantHub, state) => state.storage.deleteAlarm());
  await abortAllDurableObjects();
  return env.TENANT_HUB.getByName(t.tenantId);
}

async function seriesCount(hub: DurableObjectStub<TenantHub>, filter: AlertFilter, at: number): Promise<number> {
  return runInDurableObject(hub, (instance: TenantHub) =>
    instance.alerting.seriesCount(filter, Math.floor(at / MINUTE_MS)),
  );
}

describe('alert series across a restart of the hub', () => {
  it('counts events ingested but not yet checkpointed (replayed from the log)', async () => {
    const filter = { source: 'stripe' };
    const t = await tenantWithRule(filter);
    const at = Date.now();
    await t.hub.ingest(events(7, at, { status: 500 }));
    await t.hub.ingest(events(5, at, { source: 'other' }));
    expect(await seriesCount(t.hub, filter, at)).toBe(7);

    const hub = await restart(t);
    expect(await seriesCount(hub, filter, at)).toBe(7);
  });

  it("keeps an absent rule quiet after a restart that followed its source's last events", async () => {
    const t = await tenantWithRule({ source: 'stripe' }, { absent: true });
    await t.hub.ingest(events(3, Date.now()));
    const phase = (hub: DurableObjectStub<TenantHub>) =>
      runInDurableObject(hub, (instance: TenantHub) => {
        instance.alerting.evaluate();
        return instance.alerting.stateOf(t.ruleId)?.phase;
      });
    expect(await phase(t.hub)).toBe('ok');

    const hub = await restart(t);
    expect(await phase(hub), 'the source was heard from a moment ago').toBe('ok');
  });

  it('counts checkpointed events once: checkpoint, more events, restart', async () => {
    const filter = { source: 'stripe' };
    const t = await tenantWithRule(filter);
    const at = Date.now();
    await t.hub.ingest(events(10, at));
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    expect(await pendingRows(t)).toBe(0);
    await t.hub.ingest(events(4, at));

    const hub = await restart(t);
    expect(await seriesCount(hub, filter, at)).toBe(14);
    // And again: the restored hub's own checkpoint, then a second restart, still counts each event once.
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const again = await restart({ ...t, hub });
    expect(await seriesCount(again, filter, at)).toBe(14);
  });

  it('restores an endpoint-filtered series from its checkpoint and the log', async () => {
    const filter = { endpoint: CHARGES };
    const t = await tenantWithRule(filter);
    const at = Date.now();
    await t.hub.ingest([...events(3, at), ...events(2, at, { endpoint: 'GET /v1/balance' })]);
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    await t.hub.ingest([
      ...events(2, at, { source: 'twilio' }),
      ...events(1, at, { endpoint: null }),
      ...events(4, at, { endpoint: 'GET /v1/balance' }),
    ]);
    expect(await seriesCount(t.hub, filter, at)).toBe(5);

    const hub = await restart(t);
    expect(await seriesCount(hub, filter, at)).toBe(5);
  });

  it('counts events once when the windows checkpoint fails before the restart', async () => {
    const filter = { source: 'stripe' };
    const t = await tenantWithRule(filter);
    const at = Date.now();
    await t.hub.ingest(events(6, at));
    // Storage refuses the windows' rows (a value over the size limit): the alarm's checkpoint fails.
    await runInDurableObject(t.hub, (_: TenantHub, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      sql.exec = ((query: string, ...bindings: unknown[]) => {
        if (query.includes('INTO window_parts')) throw new Error('string or blob too big: SQLITE_TOOBIG');
        return exec(query, ...bindings);
      }) as typeof sql.exec;
    });
    await expect(runDurableObjectAlarm(t.hub)).rejects.toThrow('SQLITE_TOOBIG');
    expect(await pendingRows(t)).toBe(6);
    expect(await seriesCount(t.hub, filter, at), 'evaluation still sees the events').toBe(6);

    const hub = await restart(t);
    expect(await seriesCount(hub, filter, at)).toBe(6);
  });

  it(`counts events once after the checkpoint forced by ${CHECKPOINT_MAX_PENDING} pending events`, async () => {
    const filter = { source: 'stripe' };
    const t = await tenantWithRule(filter);
    const at = Date.now();
    await t.hub.ingest(events(CHECKPOINT_MAX_PENDING, at));
    expect(await pendingRows(t), 'checkpointed by ingest itself').toBe(0);
    await t.hub.ingest(events(3, at));

    const hub = await restart(t);
    expect(await seriesCount(hub, filter, at)).toBe(CHECKPOINT_MAX_PENDING + 3);
  }, 60_000);

  it('adds the endpoint column to the replay log of a hub created before it, and replays its old rows', async () => {
    const t = await tenantWithRule({ source: 'stripe' });
    const at = Date.now();
    await runInDurableObject(t.hub, (_: TenantHub, state) => {
      const sql = state.storage.sql;
      sql.exec('DROP TABLE pending');
      sql.exec(`CREATE TABLE pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, source TEXT NOT NULL,
        type TEXT, status INTEGER, latency REAL)`);
      sql.exec("INSERT INTO pending (ts, source, type, status, latency) VALUES (?, 'stripe', 'api_call', 500, 12)", at);
    });

    const hub = await restart(t);
    expect(await seriesCount(hub, { source: 'stripe' }, at)).toBe(1);
    expect((await hub.metrics()).overall['1h'].errors).toBe(1);
    await hub.ingest(events(2, at));
    const rows = await runInDurableObject(hub, (_: TenantHub, state) =>
      state.storage.sql.exec<{ endpoint: string | null }>('SELECT endpoint FROM pending ORDER BY seq').toArray(),
    );
    expect(rows.map((r) => r.endpoint)).toEqual([null, CHARGES, CHARGES]);
  });
});
