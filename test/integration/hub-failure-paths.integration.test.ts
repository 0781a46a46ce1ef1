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
});
