import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../workers/lib/config';
import { createLogger } from '../../workers/lib/logger';
import { createServices } from '../../workers/lib/services';
import type { TenantHub } from '../../workers/objects/tenant-hub';
import { type AlertingTenant, createAlertingTenant } from '../helpers/alerting';
import { truncateAll } from '../helpers/db';
import { call, json } from '../security/helpers';

/** Nothing listens on port 1: a database that refuses every connection. */
const DEAD_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:1/postgres';

beforeAll(async () => {
  await truncateAll();
});

/** Points the hub's alerting at a database that is down, or back at the real one. */
async function hubDatabase(t: AlertingTenant, state: 'down' | 'up') {
  const config = { ...parseConfig(env), ...(state === 'down' ? { DATABASE_URL: DEAD_DATABASE_URL } : {}) };
  await runInDurableObject(t.hub, (instance: TenantHub) => {
    instance.alerting.services = () => createServices(config, createLogger('error'));
  });
}

const ERROR_RATE_RULE = { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, for: '1m' };

async function createRule(t: AlertingTenant, rule: Record<string, unknown> = ERROR_RATE_RULE): Promise<string> {
  const res = await call('POST', '/v1/alert-rules', {
    bearer: t.bearer,
    body: { name: 'rule', severity: 'critical', window: '1m', ...rule },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

describe('the hub when Postgres fails it', () => {
  it('retries a first reload that failed, so a rule created meanwhile is evaluated, not silently ignored', async () => {
    const t = await createAlertingTenant();
    await hubDatabase(t, 'down');
    // The route stores the rule and tells the hub, whose reload fails: the route still answers 201.
    const ruleId = await createRule(t);
    const alarm = await runInDurableObject(t.hub, (_: TenantHub, state) => state.storage.getAlarm());
    expect(alarm, 'an alarm to retry the reload').not.toBeNull();

    await hubDatabase(t, 'up');
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    const loaded = await runInDurableObject(t.hub, (instance: TenantHub) => ({
      active: instance.alerting.active,
      state: instance.alerting.stateOf(ruleId) ?? null,
    }));
    expect(loaded.active).toBe(true);
    // Evaluated: an error_rate rule without traffic has a state (ok, nothing to measure).
    expect(loaded.state?.phase).toBe('ok');
  });

  it('still evaluates alerts and re-arms its alarm when the windows checkpoint fails', async () => {
    const t = await createAlertingTenant();
    const ruleId = await createRule(t, {
      metric: 'count',
      filter: { source: 'quiet' },
      condition: { absent: true },
      for: '1m',
    });
    const start = Date.now();
    const clock = { now: start };
    await runInDurableObject(t.hub, (instance: TenantHub) => {
      instance.alerting.clock = () => clock.now;
    });
    await t.hub.ingest([
      {
        id: crypto.randomUUID(),
        timestamp: start,
        type: 'api_call',
        source: 'quiet',
        endpoint: null,
        method: null,
        status: 200,
        latencyMs: 5,
        country: null,
      },
    ]);
    await runInDurableObject(t.hub, (instance: TenantHub) => {
      instance.alerting.evaluate();
      // The live view's checkpoint fails from now on (storage refuses the write).
      (instance as unknown as { checkpoint: () => void }).checkpoint = () => {
        throw new Error('string or blob too big: SQLITE_TOOBIG');
      };
    });
    expect((await runInDurableObject(t.hub, (i: TenantHub) => i.alerting.stateOf(ruleId)))?.phase).toBe('ok');

    // The source goes quiet: only the alarm can notice, and its checkpoint throws.
    clock.now = start + 2 * 60_000 + 1_000;
    await expect(runDurableObjectAlarm(t.hub)).rejects.toThrow('SQLITE_TOOBIG');
    const after = await runInDurableObject(t.hub, async (instance: TenantHub, state) => ({
      phase: instance.alerting.stateOf(ruleId)?.phase,
      alarm: await state.storage.getAlarm(),
    }));
    expect(after.phase).toBe('pending');
    expect(after.alarm, 'the alerting alarm is re-armed').not.toBeNull();
  });
});

/** Rows in the hub's alert outbox. */
function outboxCount(state: DurableObjectState): number {
  return state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM alert_outbox').one().n;
}

/**
 * From now on the hub's first transaction that writes outbox rows (a transition's record) fails and rolls back, as
 * a storage error or a value over the platform's size limit would. `failedWrites` reads how many did.
 */
async function failFirstOutboxWrite(t: AlertingTenant): Promise<void> {
  await runInDurableObject(t.hub, (_: TenantHub, state) => {
    const storage = state.storage as unknown as { transactionSync: <T>(fn: () => T) => T; failed?: number };
    const original = storage.transactionSync.bind(state.storage);
    storage.failed = 0;
    storage.transactionSync = <T>(fn: () => T): T =>
      original(() => {
        const before = outboxCount(state);
        const result = fn();
        if (storage.failed === 0 && outboxCount(state) > before) {
          storage.failed = 1;
          throw new Error('string or blob too big: SQLITE_TOOBIG');
        }
        return result;
      });
  });
}

async function failedWrites(t: AlertingTenant): Promise<number | undefined> {
  return runInDurableObject(t.hub, (_: TenantHub, state) => (state.storage as unknown as { failed?: number }).failed);
}

/** Half of 10 events are errors: an error_rate rule over 0.2 is met. */
async function ingestErrors(t: AlertingTenant): Promise<void> {
  const now = Date.now();
  await t.hub.ingest(
    Array.from({ length: 10 }, (_, i) => ({
      id: crypto.randomUUID(),
      timestamp: now,
      type: 'api_call',
      source: 'stripe',
      endpoint: null,
      method: null,
      status: i < 5 ? 500 : 200,
      latencyMs: 5,
      country: null,
    })),
  );
}

/** The tenant's incidents in Postgres, each with its transitions. */
async function incidents(t: AlertingTenant): Promise<{ ruleId: string; state: string; transitions: string[] }[]> {
  const list = await json<{ data: { id: string; ruleId: string; state: string }[] }>(
    await call('GET', '/v1/alerts', { bearer: t.bearer }),
  );
  const out = [];
  for (const a of list.data) {
    const detail = await json<{ transitions: { from: string; to: string }[] }>(
      await call('GET', `/v1/alerts/${a.id}`, { bearer: t.bearer }),
    );
    out.push({ ruleId: a.ruleId, state: a.state, transitions: detail.transitions.map((x) => `${x.from}>${x.to}`) });
  }
  return out;
}

describe('the hub when its SQLite write of a transition fails', () => {
  it('records an incident whose first write failed once, exactly once, at the next evaluation', async () => {
    const t = await createAlertingTenant();
    const ruleId = await createRule(t, { ...ERROR_RATE_RULE, for: '0s' });
    await failFirstOutboxWrite(t);
    await ingestErrors(t);
    // The evaluation the ingest triggered (or this one) hits the failing write.
    const first = await runInDurableObject(t.hub, (instance: TenantHub, state) => {
      try {
        instance.alerting.evaluate();
      } catch {
        // the failed write, rethrown
      }
      return { outbox: outboxCount(state), phase: instance.alerting.stateOf(ruleId)?.phase ?? null };
    });
    expect(await failedWrites(t), 'the transition write failed once').toBe(1);
    expect(first.outbox).toBe(0);

    // The next evaluation runs normally: the transition is computed again from what storage holds, and recorded.
    const second = await runInDurableObject(t.hub, async (instance: TenantHub, state) => {
      instance.alerting.evaluate();
      const stored = state.storage.sql
        .exec<{ state: string }>('SELECT state FROM alert_state WHERE rule_id = ?', ruleId)
        .toArray()
        .map((r) => (JSON.parse(r.state) as { phase: string }).phase);
      await instance.alerting.drain();
      return { phase: instance.alerting.stateOf(ruleId)?.phase, stored, outbox: outboxCount(state) };
    });
    expect(second).toEqual({ phase: 'firing', stored: ['firing'], outbox: 0 });
    expect(await incidents(t)).toEqual([{ ruleId, state: 'firing', transitions: ['ok>pending', 'pending>firing'] }]);
  });

  it('resolves, once, the incident of a rule whose changed condition failed to be written, at the retried reload', async () => {
    const t = await createAlertingTenant();
    const ruleId = await createRule(t, { ...ERROR_RATE_RULE, for: '0s' });
    await ingestErrors(t);
    await runInDurableObject(t.hub, async (instance: TenantHub) => {
      instance.alerting.evaluate();
      await instance.alerting.drain();
    });
    expect(await incidents(t)).toEqual([{ ruleId, state: 'firing', transitions: ['ok>pending', 'pending>firing'] }]);

    // The condition changes: the hub's reload closes the incident, and that write fails (the route still answers).
    await failFirstOutboxWrite(t);
    const patched = await call('PATCH', `/v1/alert-rules/${ruleId}`, {
      bearer: t.bearer,
      body: { condition: { op: '>', threshold: 0.9 } },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(await failedWrites(t), 'the resolution write failed once').toBe(1);

    // The owed reload is retried (as the alarm would): the incident is resolved then, once.
    await runInDurableObject(t.hub, async (instance: TenantHub, state) => {
      await instance.alerting.reload(t.tenantId);
      await instance.alerting.drain();
      expect(outboxCount(state)).toBe(0);
    });
    expect(await incidents(t)).toEqual([
      { ruleId, state: 'resolved', transitions: ['ok>pending', 'pending>firing', 'firing>resolved'] },
    ]);
  });
});
