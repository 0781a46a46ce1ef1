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
