import { env, runInDurableObject } from 'cloudflare:test';
import { levelIs } from '@pulsestream/db/schema/rollup-levels';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantHub } from '../../workers/objects/tenant-hub';
import { HubAlerting } from '../../workers/objects/tenant-hub/alerts';
import { createAlertingTenant as newTenant, type AlertingTenant as Tenant } from '../helpers/alerting';
import { truncateAll, withDb } from '../helpers/db';
import { postEvents, waitFor } from '../helpers/ingest';
import { call, expectProblem, json } from '../security/helpers';

/** The local fakes: webhook receiver (test/node/fake-receiver.ts) and OpenAI (test/node/fake-openai.ts). */
const RECEIVER = (env.DNS_RESOLVER_URL as string).replace(/\/dns-query$/, '');
const OPENAI = (env as unknown as { FAKE_OPENAI_URL: string }).FAKE_OPENAI_URL;
const MINUTE = 60_000;

/** Property values no aggregate can produce: they must never reach the model. */
const RAW_EMAIL = 'zq-secret-7781@example.test';
const RAW_CARD = 'QX9931-card-token';

interface FakeRequest {
  path: string;
  authorization: string | undefined;
  body: string;
}
async function openAiRequests(): Promise<FakeRequest[]> {
  return (await (await fetch(new URL('/__requests', OPENAI))).json()) as FakeRequest[];
}

async function receiverLog(path: string): Promise<{ body: string; verified: boolean | null }[]> {
  return (await (await fetch(`${RECEIVER}/_log?path=${encodeURIComponent(path)}`)).json()) as {
    body: string;
    verified: boolean | null;
  }[];
}

async function webhookChannel(t: Tenant, path: string): Promise<string> {
  const res = await call('POST', '/v1/channels', {
    bearer: t.bearer,
    body: { type: 'webhook', name: `hook ${path}`, config: { url: `${RECEIVER}${path}` } },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await json<{ id: string; secret: string }>(res);
  const configured = await fetch(`${RECEIVER}/_config`, {
    method: 'POST',
    body: JSON.stringify({ path, secret: body.secret }),
  });
  expect(configured.status).toBe(200);
  return body.id;
}

/**
 * One minute of traffic: `n` events at `minute`, `errors` of them failing on POST /v1/charges, the rest spread
 * over two endpoints and two sources; every event carries the distinctive raw properties.
 */
function minuteEvents(minute: number, n: number, errors: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    source: i % 5 === 4 ? 'twilio' : 'stripe',
    endpoint: i < errors ? 'POST /v1/charges' : i % 2 === 0 ? 'POST /v1/charges' : 'GET /v1/balance',
    method: 'POST',
    status: i < errors ? 502 : 200,
    latencyMs: 40 + (i % 7),
    timestamp: minute * MINUTE + 1_000 + i * 100,
    properties: { email: RAW_EMAIL, card: RAW_CARD, note: `${RAW_EMAIL} paid with ${RAW_CARD}` },
  }));
}

async function post(t: Tenant, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const res = await postEvents(t.key, JSON.stringify({ events: events.slice(i, i + 1000) }));
    expect(res.status, await res.clone().text()).toBe(202);
  }
}

async function storedRollupCount(tenantId: string): Promise<number> {
  return withDb(async (db) => {
    const r = await db.execute<{ n: string | null }>(sql`
      SELECT sum(count)::text AS n FROM event_rollups_agg_1m
      WHERE tenant_id = ${tenantId} AND ${levelIs('tenant')}`);
    return Number(r.rows[0]?.n ?? 0);
  });
}

/** Sends a minute through the whole pipeline and waits until the hub's alert series holds all of it. */
async function liveMinute(t: Tenant, minute: number, n: number, errors: number): Promise<void> {
  await post(t, minuteEvents(minute, n, errors));
  await waitFor(`minute ${minute} in the hub`, () =>
    runInDurableObject(t.hub, (hub: TenantHub) => hub.alerting.seriesCount({}, minute) === n),
  );
}

/** Moves the hub's clock and runs one evaluation, as the alarm does; returns the rule's phase. */
async function evaluateAt(t: Tenant, now: number, ruleId: string): Promise<string | undefined> {
  return runInDurableObject(t.hub, (hub: TenantHub) => {
    hub.alerting.clock = () => now;
    hub.alerting.evaluate();
    return hub.alerting.stateOf(ruleId)?.phase;
  });
}

interface AlertBody {
  id: string;
  state: string;
  explanation: { summary: string; likelyCause: string; evidence: string[]; source: string } | null;
}

/**
 * A tenant with 40 minutes of steady traffic (≈3% errors), an anomaly rule created on it (bootstrapped from the
 * rollups), one more steady minute scored live, then a minute at 70% errors: returns what happened.
 */
async function steadyThenBurst(model: string) {
  const t = await newTenant();
  const path = `/anomaly-${crypto.randomUUID()}`;
  const channelId = await webhookChannel(t, path);
  // All simulated minutes lie in the past, so the edge accepts every timestamp.
  const t0 = Math.floor(Date.now() / MINUTE) - 3;
  const history: Record<string, unknown>[] = [];
  for (let m = t0 - 40; m < t0; m++) history.push(...minuteEvents(m, 30, m % 3 === 0 ? 2 : 1));
  await post(t, history);
  await waitFor('history rollups', async () => (await storedRollupCount(t.tenantId)) === history.length);

  await runInDurableObject(t.hub, (hub: TenantHub) => {
    hub.alerting.clock = () => t0 * MINUTE + 30_000;
    hub.alerting.model = () => ({ apiKey: 'sk-test-anomaly', baseURL: OPENAI, model });
  });
  const created = await call('POST', '/v1/alert-rules', {
    bearer: t.bearer,
    body: {
      name: 'Checkout anomalies',
      metric: 'error_rate',
      window: '1m',
      condition: { anomaly: { sensitivity: 'medium' } },
      for: '0s',
      severity: 'critical',
      channelIds: [channelId],
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const ruleId = (await json<{ id: string }>(created)).id;
  // Bootstrapped from the 40 stored minutes, through the last completed one.
  const learnt = await runInDurableObject(t.hub, (hub: TenantHub) => hub.alerting.anomalyOf(ruleId));
  expect(learnt).toEqual({ lastMinute: t0 - 1, baselineSize: 40 });
  // Persisted: a hub restarted now (a fresh evaluator over the same storage) has the learnt tracker.
  const restored = await runInDurableObject(t.hub, (_hub: TenantHub, state) => {
    const fresh = new HubAlerting(state, env);
    fresh.migrate();
    fresh.restore();
    return fresh.anomalyOf(ruleId);
  });
  expect(restored).toEqual(learnt);

  // A steady minute, scored once complete: nothing fires.
  await liveMinute(t, t0, 30, 1);
  expect(await evaluateAt(t, (t0 + 1) * MINUTE + 30_000, ruleId)).toBe('ok');
  // The burst: 21 of 30 calls fail, all on POST /v1/charges.
  await liveMinute(t, t0 + 1, 30, 21);
  // Not judged while the minute is incomplete.
  expect(await evaluateAt(t, (t0 + 1) * MINUTE + 59_000, ruleId)).toBe('ok');
  const requestsBefore = (await openAiRequests()).length;
  expect(await evaluateAt(t, (t0 + 2) * MINUTE + 30_000, ruleId)).toBe('firing');
  const alertId = (await runInDurableObject(t.hub, (hub: TenantHub) => hub.alerting.stateOf(ruleId)))?.incidentId;
  expect(alertId).toMatch(/^[0-9a-f-]{36}$/);

  await runInDurableObject(t.hub, async (hub: TenantHub, state) => {
    await hub.alerting.drain();
    expect(state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM alert_outbox').one().n).toBe(0);
  });
  const res = await call('GET', `/v1/alerts/${alertId}`, { bearer: t.bearer });
  expect(res.status, await res.clone().text()).toBe(200);
  const alert = await json<AlertBody>(res);
  await waitFor('firing webhook', async () => (await receiverLog(path)).length >= 1, 20_000);
  const hook = JSON.parse((await receiverLog(path))[0]?.body ?? '{}') as {
    type: string;
    data: { alertId: string; explanation: AlertBody['explanation'] };
  };
  const requests = (await openAiRequests()).slice(requestsBefore);
  return { t, ruleId, alertId, alert, hook, requests };
}

beforeAll(async () => {
  await truncateAll();
});

describe('anomaly rules end to end', () => {
  it('an error burst after steady traffic fires an anomaly incident explained by the model from aggregates only', async () => {
    const { alertId, alert, hook, requests } = await steadyThenBurst('fake-ok');
    expect(alert.state).toBe('firing');
    const fromModel = {
      summary: 'Error rate jumped on checkout.',
      likelyCause: 'A failing payment endpoint.',
      evidence: ['endpoint /pay carries 90% of the change'],
      source: 'model',
    };
    expect(alert.explanation).toEqual(fromModel);
    expect(hook.type).toBe('alert.firing');
    expect(hook.data.alertId).toBe(alertId);
    expect(hook.data.explanation).toEqual(fromModel);

    // Exactly one model call, through the real SDK, carrying aggregates and no raw event property.
    expect(requests).toHaveLength(1);
    const request = requests[0] as FakeRequest;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.authorization).toBe('Bearer sk-test-anomaly');
    expect(request.body).not.toContain(RAW_EMAIL);
    expect(request.body).not.toContain(RAW_CARD);
    expect(request.body).not.toContain('zq-secret');
    const prompt = JSON.parse(
      (JSON.parse(request.body) as { messages: { role: string; content: string }[] }).messages.find(
        (m) => m.role === 'user',
      )?.content ?? '{}',
    ) as {
      metric: string;
      recent: number[];
      baseline: { median: number };
      contributors: { name: string; share: number }[];
    };
    expect(prompt.metric).toBe('error_rate');
    expect(prompt.recent.at(-1)).toBeCloseTo(70, 0);
    expect(prompt.baseline.median).toBeLessThan(10);
    expect(prompt.contributors[0]).toMatchObject({ name: 'POST /v1/charges' });
    expect(prompt.contributors[0]?.share).toBeGreaterThan(0.9);
  }, 120_000);

  it.each([
    ['answers 500', 'fake-500'],
    ['times out', 'fake-slow'],
  ])(
    'when the model %s, the incident still fires with the template explanation',
    async (_label, model) => {
      const { alert, hook, requests } = await steadyThenBurst(model);
      expect(requests).toHaveLength(1);
      expect(alert.state).toBe('firing');
      expect(alert.explanation?.source).toBe('template');
      expect(alert.explanation?.summary).toMatch(/^error_rate reached 70(\.0)?%, above its usual /);
      expect(alert.explanation?.likelyCause).toContain('POST /v1/charges');
      expect(JSON.stringify(alert.explanation)).not.toContain(RAW_EMAIL);
      expect(hook.data.explanation).toEqual(alert.explanation);
    },
    120_000,
  );
});

describe('threshold incidents are explained too', () => {
  it('without a model, a static rule’s incident gets the template explanation from rollups', async () => {
    const t = await newTenant();
    const path = `/threshold-${crypto.randomUUID()}`;
    const channelId = await webhookChannel(t, path);
    await runInDurableObject(t.hub, (hub: TenantHub) => {
      hub.alerting.model = () => undefined;
    });
    const created = await call('POST', '/v1/alert-rules', {
      bearer: t.bearer,
      body: {
        name: 'Error rate over 20%',
        metric: 'error_rate',
        window: '1m',
        condition: { op: '>', threshold: 0.2 },
        severity: 'warning',
        channelIds: [channelId],
      },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const ruleId = (await json<{ id: string }>(created)).id;
    const minute = Math.floor(Date.now() / MINUTE) - 1;
    const before = (await openAiRequests()).length;
    await post(t, minuteEvents(minute, 20, 10));
    await waitFor('firing', async () =>
      runInDurableObject(t.hub, (hub: TenantHub) => hub.alerting.stateOf(ruleId)?.phase === 'firing'),
    );
    const alertId = await runInDurableObject(t.hub, async (hub: TenantHub) => {
      await hub.alerting.drain();
      return hub.alerting.stateOf(ruleId)?.incidentId;
    });
    const alert = await json<AlertBody>(await call('GET', `/v1/alerts/${alertId}`, { bearer: t.bearer }));
    expect(alert.explanation?.source).toBe('template');
    expect(alert.explanation?.summary).toMatch(/^error_rate reached 50(\.0)?%/);
    expect(alert.explanation?.likelyCause).toContain('POST /v1/charges');
    await waitFor('firing webhook', async () => (await receiverLog(path)).length >= 1, 20_000);
    const hook = JSON.parse((await receiverLog(path))[0]?.body ?? '{}') as { data: { explanation: unknown } };
    expect(hook.data.explanation).toEqual(alert.explanation);
    expect((await openAiRequests()).length).toBe(before);
  }, 60_000);
});

describe('anomaly rule routes', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await newTenant();
  });
  const valid = { name: 'anomalies', metric: 'latency_p95', window: '5m', severity: 'warning' };
  const raw = (condition: string, extra = '') =>
    `{"name":"a","metric":"error_rate","window":"1m","severity":"info","condition":${condition}${extra}}`;

  it('creates, reads and patches an anomaly rule', async () => {
    const res = await call('POST', '/v1/alert-rules', {
      bearer: t.bearer,
      body: { ...valid, condition: { anomaly: { sensitivity: 'high' } } },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const rule = await json<{ id: string; condition: unknown }>(res);
    expect(rule.condition).toEqual({ anomaly: { sensitivity: 'high' } });
    const patched = await call('PATCH', `/v1/alert-rules/${rule.id}`, {
      bearer: t.bearer,
      body: { condition: { anomaly: { sensitivity: 'low' } } },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect((await json<{ condition: unknown }>(patched)).condition).toEqual({ anomaly: { sensitivity: 'low' } });
    const bad = await call('PATCH', `/v1/alert-rules/${rule.id}`, {
      bearer: t.bearer,
      rawBody: '{"condition":{"anomaly":{"sensitivity":"extreme"}}}',
    });
    await expectProblem(bad, 400, 'patch with a bad sensitivity');
    const withRecover = await call('PATCH', `/v1/alert-rules/${rule.id}`, {
      bearer: t.bearer,
      body: { recoverBelow: 1 },
    });
    const problem = await expectProblem(withRecover, 400, 'recoverBelow on an anomaly rule');
    expect(JSON.stringify(problem.errors)).toContain('"path":"recoverBelow');
  });

  it.each([
    ['an unknown sensitivity', '{"anomaly":{"sensitivity":"extreme"}}', '', 'condition'],
    ['a missing sensitivity', '{"anomaly":{}}', '', 'condition'],
    ['a sensitivity with a NUL byte', '{"anomaly":{"sensitivity":"low\\u0000"}}', '', 'condition'],
    ['an unpaired surrogate', '{"anomaly":{"sensitivity":"\\ud800"}}', '', 'condition'],
    ['__proto__ inside the anomaly object', '{"anomaly":{"sensitivity":"low","__proto__":{"x":1}}}', '', 'condition'],
    ['constructor as the condition key', '{"constructor":{"sensitivity":"low"}}', '', 'condition'],
    ['anomaly mixed with a threshold', '{"anomaly":{"sensitivity":"low"},"op":">","threshold":1}', '', 'condition'],
    ['a sensitivity that is a number', '{"anomaly":{"sensitivity":1e308}}', '', 'condition'],
    ['recoverBelow on an anomaly rule', '{"anomaly":{"sensitivity":"low"}}', ',"recoverBelow":0.1', 'recoverBelow'],
    ['__proto__ at the top level', '{"anomaly":{"sensitivity":"low"}}', ',"__proto__":{"admin":true}', ''],
  ])('refuses %s with a 400 problem', async (label, condition, extra, where) => {
    const res = await call('POST', '/v1/alert-rules', { bearer: t.bearer, rawBody: raw(condition, extra) });
    const problem = await expectProblem(res, 400, label);
    if (where) expect(JSON.stringify(problem.errors), label).toContain(`"path":"${where}`);
  });

  it('another tenant cannot read or patch the rule (404)', async () => {
    const res = await call('POST', '/v1/alert-rules', {
      bearer: t.bearer,
      body: { ...valid, condition: { anomaly: { sensitivity: 'medium' } } },
    });
    const id = (await json<{ id: string }>(res)).id;
    const other = await newTenant();
    await expectProblem(await call('GET', `/v1/alert-rules/${id}`, { bearer: other.bearer }), 404);
    await expectProblem(
      await call('PATCH', `/v1/alert-rules/${id}`, {
        bearer: other.bearer,
        body: { condition: { anomaly: { sensitivity: 'high' } } },
      }),
      404,
    );
  });
});
