import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent, TenantHub } from '../../workers/objects/tenant-hub';
import { createAlertingTenant as newTenant, type AlertingTenant as Tenant } from '../helpers/alerting';
import { truncateAll, withDb } from '../helpers/db';
import { postEvents, waitFor } from '../helpers/ingest';
import { connectLive, liveTicket } from '../helpers/live';
import { call, expectProblem, json } from '../security/helpers';

/** The local fake (test/node/fake-receiver.ts); the config points DNS over HTTPS at it. */
const RECEIVER = (env.DNS_RESOLVER_URL as string).replace(/\/dns-query$/, '');

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  verified: boolean | null;
  status: number;
}

async function receiverLog(path: string): Promise<Received[]> {
  const res = await fetch(`${RECEIVER}/_log?path=${encodeURIComponent(path)}`);
  return (await res.json()) as Received[];
}

async function configureReceiver(config: { path: string; secret?: string; statuses?: number[]; redirect?: string }) {
  const res = await fetch(`${RECEIVER}/_config`, { method: 'POST', body: JSON.stringify(config) });
  expect(res.status).toBe(200);
}

/** A simulated clock for the tenant's alert evaluation, so minutes pass without waiting for them. */
function simulatedClock(start: number) {
  const clock = { now: start };
  return {
    clock,
    async install(hub: DurableObjectStub<TenantHub>) {
      await runInDurableObject(hub, (instance: TenantHub) => {
        instance.alerting.clock = () => clock.now;
      });
    },
  };
}

async function webhookChannel(t: Tenant, path: string): Promise<{ id: string; secret: string }> {
  const res = await call('POST', '/v1/channels', {
    bearer: t.bearer,
    body: { type: 'webhook', name: `hook ${path}`, config: { url: `${RECEIVER}${path}` } },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await json<{ id: string; secret: string }>(res);
  expect(body.secret).toMatch(/^whsec_/);
  await configureReceiver({ path, secret: body.secret });
  return body;
}

async function createRule(t: Tenant, body: Record<string, unknown>): Promise<string> {
  const res = await call('POST', '/v1/alert-rules', {
    bearer: t.bearer,
    body: { name: `rule ${crypto.randomUUID().slice(0, 6)}`, severity: 'critical', window: '1m', ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

function liveEvents(at: number, n: number, errorShare: number, source = 'stripe'): LiveEvent[] {
  const errors = Math.round(n * errorShare);
  return Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    timestamp: at,
    type: 'api_call',
    source,
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: i < errors ? 500 : 200,
    latencyMs: 50,
    country: null,
  }));
}

/** Feeds events straight to the hub (as the events consumer does) and evaluates at the simulated time. */
async function step(t: Tenant, events: LiveEvent[]) {
  if (events.length > 0) await t.hub.ingest(events);
  return runInDurableObject(t.hub, (instance: TenantHub) => {
    instance.alerting.evaluate();
    return instance;
  });
}

async function stateOf(t: Tenant, ruleId: string) {
  return runInDurableObject(t.hub, (instance: TenantHub) => instance.alerting.stateOf(ruleId));
}

async function drainOutbox(t: Tenant) {
  await runInDurableObject(t.hub, async (instance: TenantHub, state) => {
    await instance.alerting.drain();
    expect(state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM alert_outbox').one().n).toBe(0);
  });
}

beforeAll(async () => {
  await truncateAll();
});

describe('alerting end to end', () => {
  it('error_rate > 0.2 for 1m fires once and resolves once; every delivery verifies; a tampered body is refused', async () => {
    const t = await newTenant();
    const path = `/hook-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t, path);
    const ruleId = await createRule(t, {
      metric: 'error_rate',
      condition: { op: '>', threshold: 0.2 },
      for: '1m',
      channelIds: [channel.id],
    });
    const start = Date.now();
    const sim = simulatedClock(start);
    await sim.install(t.hub);

    const send = async (at: number, n: number, errorShare: number) => {
      const events = Array.from({ length: n }, (_, i) => ({
        source: 'stripe',
        endpoint: 'POST /v1/charges',
        status: i < Math.round(n * errorShare) ? 500 : 200,
        latencyMs: 40,
        timestamp: at,
      }));
      const res = await postEvents(t.key, JSON.stringify({ events }));
      expect(res.status, await res.clone().text()).toBe(202);
    };
    const phaseIs = (phase: string) => async () => (await stateOf(t, ruleId))?.phase === phase;

    // 50% errors through the whole pipeline (edge → queue → Postgres → hub).
    await send(start, 20, 0.5);
    await waitFor('pending', phaseIs('pending'));
    sim.clock.now = start + 30_000;
    await send(sim.clock.now, 20, 0.5);
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    expect((await stateOf(t, ruleId))?.phase).toBe('pending');
    sim.clock.now = start + 61_000;
    await send(sim.clock.now, 20, 0.5);
    await waitFor('firing', phaseIs('firing'));
    await waitFor('firing webhook', async () => (await receiverLog(path)).length >= 1, 20_000);

    // Recovery: mostly successes, held for the `for` duration.
    sim.clock.now = start + 90_000;
    await send(sim.clock.now, 300, 0);
    // The clock must not move on before the hub has seen these events (the pipeline is asynchronous).
    await waitFor('recovery noticed', async () => (await stateOf(t, ruleId))?.recoveringSince === start + 90_000);
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    expect((await stateOf(t, ruleId))?.phase).toBe('firing');
    sim.clock.now = start + 151_000;
    await send(sim.clock.now, 300, 0);
    await waitFor('resolved', phaseIs('resolved'));
    await waitFor('resolved webhook', async () => (await receiverLog(path)).length >= 2, 20_000);
    // More evaluations change nothing.
    sim.clock.now = start + 170_000;
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    await drainOutbox(t);

    const received = await receiverLog(path);
    expect(received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      'alert.firing',
      'alert.resolved',
    ]);
    expect(received.every((r) => r.verified === true && r.status === 200)).toBe(true);
    const firingBody = JSON.parse(received[0]?.body ?? '{}') as { tenantId: string; data: Record<string, unknown> };
    expect(firingBody.tenantId).toBe(t.tenantId);
    expect(firingBody.data).toMatchObject({ ruleId, state: 'firing', threshold: 0.2 });
    expect(firingBody.data.value).toBeCloseTo(0.5);

    // An independent verifier in this test as well, and a tampered body refused by the receiver.
    const first = received[0] as Received;
    expect(new Webhook(channel.secret).verify(first.body, first.headers)).toBeTruthy();
    const tampered = first.body.replace('"alert.firing"', '"alert.resolved"');
    expect(() => new Webhook(channel.secret).verify(tampered, first.headers)).toThrow();
    const replay = await fetch(`${RECEIVER}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': first.headers['webhook-id'] ?? '',
        'webhook-timestamp': first.headers['webhook-timestamp'] ?? '',
        'webhook-signature': first.headers['webhook-signature'] ?? '',
      },
      body: tampered,
    });
    expect(replay.status).toBe(401);

    // History: one incident with its transitions, values and thresholds, and its deliveries.
    const list = await json<{ data: { id: string; state: string; ruleId: string }[] }>(
      await call('GET', '/v1/alerts', { bearer: t.bearer }),
    );
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ ruleId, state: 'resolved' });
    const detail = await json<{
      transitions: { from: string; to: string; value: number; threshold: number }[];
      deliveries: { id: string; status: string; attempts: { ok: boolean; statusCode: number }[] }[];
    }>(await call('GET', `/v1/alerts/${list.data[0]?.id}`, { bearer: t.bearer }));
    expect(detail.transitions.map((x) => `${x.from}>${x.to}`)).toEqual(['pending>firing', 'firing>resolved']);
    expect(detail.transitions[0]?.threshold).toBe(0.2);
    expect(detail.transitions[1]?.value).toBeLessThan(0.2);
    expect(detail.deliveries).toHaveLength(2);
    expect(detail.deliveries.every((d) => d.status === 'succeeded' && d.attempts.length === 1)).toBe(true);
    // The webhook-id is the delivery id.
    expect(detail.deliveries.map((d) => d.id).sort()).toEqual(received.map((r) => r.headers['webhook-id']).sort());
  }, 120_000);

  it('flapping around the threshold with recoverBelow is one incident (and without it, several)', async () => {
    const t = await newTenant();
    const base = { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, for: '20s' };
    const hysteresis = await createRule(t, { ...base, recoverBelow: 0.1 });
    const plain = await createRule(t, base);
    const start = Date.now();
    const sim = simulatedClock(start);
    await sim.install(t.hub);
    const incidents = { [hysteresis]: new Set<string>(), [plain]: new Set<string>() };
    // 3-minute phases alternating 40% and 12% errors, every 10 s, for 15 minutes.
    for (let s = 0; s < 90; s++) {
      sim.clock.now = start + s * 10_000;
      const share = Math.floor(s / 18) % 2 === 0 ? 0.4 : 0.12;
      await step(t, liveEvents(sim.clock.now, 50, share));
      for (const id of [hysteresis, plain]) {
        const incident = (await stateOf(t, id))?.incidentId;
        if (incident) incidents[id]?.add(incident);
      }
    }
    expect(incidents[hysteresis]?.size).toBe(1);
    expect(incidents[plain]?.size).toBeGreaterThan(1);
    await drainOutbox(t);
    const list = await json<{ data: { ruleId: string }[] }>(await call('GET', '/v1/alerts', { bearer: t.bearer }));
    expect(list.data.filter((a) => a.ruleId === hysteresis)).toHaveLength(1);
  }, 120_000);

  it('an absent rule fires when the source goes quiet, from the alarm alone', async () => {
    const t = await newTenant();
    const ruleId = await createRule(t, {
      metric: 'count',
      filter: { source: 'quiet' },
      condition: { absent: true },
      for: '1m',
    });
    const start = Date.now();
    const sim = simulatedClock(start);
    await sim.install(t.hub);
    await step(t, liveEvents(start, 10, 0, 'quiet'));
    expect((await stateOf(t, ruleId))?.phase).toBe('ok');
    // No traffic from here on: only the alarm evaluates.
    const alarmAt = await runInDurableObject(t.hub, (_: TenantHub, state) => state.storage.getAlarm());
    expect(alarmAt).not.toBeNull();
    expect((alarmAt ?? 0) - Date.now()).toBeLessThanOrEqual(10_000);
    sim.clock.now = start + 2 * 60_000 + 1_000;
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    expect((await stateOf(t, ruleId))?.phase).toBe('pending');
    sim.clock.now = start + 3 * 60_000 + 2_000;
    expect(await runDurableObjectAlarm(t.hub)).toBe(true);
    expect((await stateOf(t, ruleId))?.phase).toBe('firing');
    await drainOutbox(t);
    const list = await json<{ data: { ruleId: string; state: string; value: number }[] }>(
      await call('GET', '/v1/alerts?state=firing', { bearer: t.bearer }),
    );
    expect(list.data).toEqual([expect.objectContaining({ ruleId, state: 'firing', value: 0 })]);
    // The scrape shows it as an ALERTS series.
    const scrape = await (await call('GET', '/v1/metrics/prometheus', { bearer: t.bearer })).text();
    expect(scrape).toContain('# TYPE ALERTS gauge');
    expect(scrape).toMatch(new RegExp(`ALERTS\\{[^}]*alertstate="firing",rule_id="${ruleId}"[^}]*source="quiet"\\} 1`));
    // And it survives a restart of the object: a fresh instance restores the same state from SQLite.
    const restored = await runInDurableObject(t.hub, (instance: TenantHub, state) => {
      const again = new (instance.alerting.constructor as new (s: DurableObjectState, e: Env) => TenantHub['alerting'])(
        state,
        env,
      );
      again.restore();
      return again.stateOf(ruleId);
    });
    expect(restored?.phase).toBe('firing');
    expect(restored?.incidentId).toBe((await stateOf(t, ruleId))?.incidentId);
  }, 60_000);

  it('a silence suppresses notifications but not history, and never affects another tenant', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const pathA = `/silenced-${crypto.randomUUID()}`;
    const pathB = `/loud-${crypto.randomUUID()}`;
    const chA = await webhookChannel(a, pathA);
    const chB = await webhookChannel(b, pathB);
    const rule = { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, for: '0s', severity: 'warning' };
    const ruleA = await createRule(a, { ...rule, channelIds: [chA.id] });
    await createRule(b, { ...rule, channelIds: [chB.id] });
    const silence = await call('POST', '/v1/silences', {
      bearer: a.bearer,
      body: {
        matchers: { severity: 'warning' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'maintenance',
      },
    });
    expect(silence.status, await silence.clone().text()).toBe(201);
    for (const t of [a, b]) {
      await simulatedClock(Date.now()).install(t.hub);
      await step(t, liveEvents(Date.now(), 20, 0.5));
    }
    expect((await stateOf(a, ruleA))?.phase).toBe('firing');
    await waitFor('tenant B notified', async () => (await receiverLog(pathB)).length === 1, 20_000);
    await drainOutbox(a);
    const listA = await json<{ data: { id: string; silenced: boolean }[] }>(
      await call('GET', '/v1/alerts', { bearer: a.bearer }),
    );
    expect(listA.data).toEqual([expect.objectContaining({ silenced: true })]);
    const detail = await json<{ transitions: { to: string; silenced: boolean }[]; deliveries: unknown[] }>(
      await call('GET', `/v1/alerts/${listA.data[0]?.id}`, { bearer: a.bearer }),
    );
    expect(detail.transitions).toEqual([
      expect.objectContaining({ from: 'ok', to: 'pending', silenced: true }),
      expect.objectContaining({ from: 'pending', to: 'firing', silenced: true }),
    ]);
    expect(detail.deliveries).toEqual([]);
    expect(await receiverLog(pathA)).toEqual([]);
    // Tenant B cannot see, delete or use tenant A's silence.
    const silenceId = (await json<{ id: string }>(silence)).id;
    await expectProblem(await call('DELETE', `/v1/silences/${silenceId}`, { bearer: b.bearer }), 404);
  }, 60_000);

  it('a dynamic rule learns for 30 minutes in the hub, stays quiet, and catches a level shift within two windows', async () => {
    const t = await newTenant();
    const ruleId = await createRule(t, {
      metric: 'latency_p95',
      condition: { dynamic: { sensitivity: 'medium' } },
      for: '1m',
    });
    const start = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    const sim = simulatedClock(start);
    await sim.install(t.hub);
    const minute = async (i: number, latency: (k: number) => number) => {
      sim.clock.now = start + i * 60_000;
      const events = liveEvents(sim.clock.now, 20, 0).map((e, k) => ({ ...e, latencyMs: latency(k) }));
      await step(t, events);
      return stateOf(t, ruleId);
    };
    for (let i = 0; i < 40; i++) {
      const state = await minute(i, (k) => 80 + 2 * k);
      expect(state?.phase, `minute ${i}`).toBe('ok');
    }
    const phases: string[] = [];
    for (let i = 40; i < 43; i++) phases.push((await minute(i, (k) => 400 + 2 * k))?.phase ?? 'none');
    // The shifted minute is judged once complete (minute 41): pending, then firing after `for` (minute 42).
    expect(phases).toEqual(['ok', 'pending', 'firing']);
  }, 120_000);

  it('sends transitions to live sockets as alert frames', async () => {
    const t = await newTenant();
    const ruleId = await createRule(t, { metric: 'errors', condition: { op: '>=', threshold: 5 }, for: '0s' });
    const client = await connectLive(await liveTicket(`Bearer ${t.bearer}`));
    await simulatedClock(Date.now()).install(t.hub);
    await step(t, liveEvents(Date.now(), 10, 1));
    const frame = await client.waitFor((f) => f.type === 'alert' && (f.alert as { to?: string }).to === 'firing', {
      timeoutMs: 10_000,
    });
    expect(frame.alert).toMatchObject({
      ruleId,
      from: 'pending',
      to: 'firing',
      threshold: 5,
      silenced: false,
    });
    // 10 errors, scaled from the time the sliding window covers (the last whole minute and this one) to a minute.
    expect((frame.alert as { value: number }).value).toBeGreaterThan(5);
    expect((frame.alert as { value: number }).value).toBeLessThanOrEqual(10);
    client.ws.close(1000, 'done');
  });

  it('a receiver answering 500, 500, 500, 200 gets four attempts and one success, all recorded', async () => {
    const t = await newTenant();
    const path = `/flaky-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t, path);
    await configureReceiver({ path, secret: channel.secret, statuses: [500, 500, 500, 200] });
    const ruleId = await createRule(t, {
      metric: 'error_rate',
      condition: { op: '>', threshold: 0.2 },
      for: '0s',
      channelIds: [channel.id],
    });
    await simulatedClock(Date.now()).install(t.hub);
    await step(t, liveEvents(Date.now(), 10, 1));
    const alertId = (await stateOf(t, ruleId))?.incidentId;
    expect(alertId).toBeTruthy();
    type Detail = { deliveries: { status: string; attempts: { statusCode: number; ok: boolean }[] }[] };
    let detail: Detail | undefined;
    await waitFor(
      'delivery succeeded',
      async () => {
        const res = await call('GET', `/v1/alerts/${alertId}`, { bearer: t.bearer });
        if (res.status !== 200) return false;
        detail = await json<Detail>(res);
        return detail.deliveries[0]?.status === 'succeeded';
      },
      45_000,
    );
    const attempts = detail?.deliveries[0]?.attempts ?? [];
    expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(attempts.filter((a) => a.ok)).toHaveLength(1);
    const received = await receiverLog(path);
    expect(received.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    // The same webhook-id on every attempt.
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  }, 90_000);
});

describe('notifications without an alert', () => {
  it('delivers a report.ready message (text delivery id, no alertId) from the queue, signed, and records it', async () => {
    const t = await newTenant();
    const path = `/reports-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t, path);
    const reportId = crypto.randomUUID();
    const deliveryId = `report.ready:${reportId}:${channel.id}`;
    await env.NOTIFICATIONS.send({
      type: 'notify',
      v: 1,
      tenantId: t.tenantId,
      channelId: channel.id,
      deliveryId,
      event: 'report.ready',
      reportId,
      data: { reportId, format: 'csv', rows: 3, bytes: 120, downloadUrl: 'https://example.test/r', expiresAt: null },
    });
    await waitFor('report webhook', async () => (await receiverLog(path)).length === 1, 20_000);
    const [received] = await receiverLog(path);
    expect(received?.verified).toBe(true);
    expect(received?.headers['webhook-id']).toBe(deliveryId);
    expect(JSON.parse(received?.body ?? '{}')).toMatchObject({
      type: 'report.ready',
      tenantId: t.tenantId,
      data: { reportId },
    });
    await waitFor('delivery recorded', async () => {
      const rows = await withDb((db) =>
        db.execute<{ status: string; report_id: string; alert_id: string | null }>(
          sql`SELECT status, report_id, alert_id FROM notification_deliveries WHERE id = ${deliveryId}`,
        ),
      );
      const row = rows.rows[0];
      return row?.status === 'succeeded' && row.report_id === reportId && row.alert_id === null;
    });
  });
});

describe('exhausted deliveries', () => {
  it('a receiver that always answers 503 gets six attempts, then a dead letter; each redrive is one more attempt', async () => {
    const t = await newTenant();
    const path = `/down-${crypto.randomUUID()}`;
    const channel = await webhookChannel(t, path);
    await configureReceiver({ path, secret: channel.secret, statuses: [503, 503, 503, 503, 503, 503, 503] });
    const deliveryId = crypto.randomUUID();
    await env.NOTIFICATIONS.send({
      type: 'notify',
      v: 1,
      tenantId: t.tenantId,
      channelId: channel.id,
      deliveryId,
      event: 'test',
      data: {},
    });
    // Backoff 1 + 2 + 4 + 8 + 16 s between the six attempts.
    await waitFor(
      'dead letter stored',
      async () => {
        const rows = await withDb((db) =>
          db.execute<{ n: number }>(
            sql`SELECT count(*)::int AS n FROM dead_letters WHERE message_id = ${`notify:${deliveryId}`}`,
          ),
        );
        return (rows.rows[0]?.n ?? 0) === 1;
      },
      80_000,
    );
    const delivery = await withDb((db) =>
      db.execute<{ status: string; attempts: number }>(
        sql`SELECT status, attempts FROM notification_deliveries WHERE id = ${deliveryId}`,
      ),
    );
    expect(delivery.rows[0]).toEqual({ status: 'dead', attempts: 6 });
    expect((await receiverLog(path)).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503]);

    // A redrive is one more attempt: still down, the delivery is dead again and its letter re-armed; once the
    // receiver answers, the next redrive delivers it.
    const redriveAndWait = async (attempts: number) => {
      const res = await call('POST', '/v1/pipeline/redrive', { bearer: t.bearer });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ redriven: 1, failed: 0 });
      await waitFor(`attempt ${attempts}`, async () => (await deliveryState())?.attempts === attempts, 20_000);
    };
    const deliveryState = async () =>
      (
        await withDb((db) =>
          db.execute<{ status: string; attempts: number; letter_pending: boolean; redrives: number }>(
            sql`SELECT d.status, d.attempts, l.redriven_at IS NULL AS letter_pending, l.redrive_count AS redrives
                FROM notification_deliveries d JOIN dead_letters l ON l.message_id = 'notify:' || d.id
                WHERE d.id = ${deliveryId}`,
          ),
        )
      ).rows[0];
    await redriveAndWait(7);
    await waitFor('dead again', async () => (await deliveryState())?.letter_pending === true, 20_000);
    expect(await deliveryState()).toEqual({ status: 'dead', attempts: 7, letter_pending: true, redrives: 1 });
    await redriveAndWait(8);
    expect(await deliveryState()).toEqual({ status: 'succeeded', attempts: 8, letter_pending: false, redrives: 2 });
    expect((await receiverLog(path)).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503, 503, 200]);
  }, 120_000);
});

describe('channels and the SSRF guard', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await newTenant();
  });

  it.each([
    'http://169.254.169.254/',
    'https://10.0.0.1/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://2130706433/',
    'https://localhost/',
    'ftp://example.com/',
  ])('refuses %s at creation with a problem', async (url) => {
    const res = await call('POST', '/v1/channels', {
      bearer: t.bearer,
      body: { type: 'webhook', name: 'x', config: { url } },
    });
    const problem = await expectProblem(res, 400, url);
    expect(JSON.stringify(problem.errors)).toContain('config.url');
  });

  it('refuses a hostname that resolves to 127.0.0.1 at delivery, records it, and fetches nothing', async () => {
    const res = await call('POST', '/v1/channels', {
      bearer: t.bearer,
      body: { type: 'webhook', name: 'rebind', config: { url: 'https://hook.loopback.test/x' } },
    });
    expect(res.status).toBe(201);
    const { id } = await json<{ id: string }>(res);
    const test = await json<{ ok: boolean; error: string; deliveryId: string }>(
      await call('POST', `/v1/channels/${id}/test`, { bearer: t.bearer }),
    );
    expect(test.ok).toBe(false);
    expect(test.error).toMatch(/loopback address \(127\.0\.0\.1\)/);
    const recorded = await withDb((db) =>
      db.execute<{ status: string; ok: boolean; error: string }>(sql`
        SELECT d.status, a.ok, a.error FROM notification_deliveries d JOIN notification_attempts a ON a.delivery_id = d.id
        WHERE d.id = ${test.deliveryId}`),
    );
    expect(recorded.rows).toEqual([expect.objectContaining({ status: 'failed', ok: false })]);
  });

  it('does not follow a redirect to a private address', async () => {
    const path = `/redirect-${crypto.randomUUID()}`;
    await configureReceiver({ path, redirect: 'http://10.0.0.1/steal' });
    const res = await call('POST', '/v1/channels', {
      bearer: t.bearer,
      body: { type: 'webhook', name: 'redirect', config: { url: `${RECEIVER}${path}` } },
    });
    const { id } = await json<{ id: string }>(res);
    const test = await json<{ ok: boolean; statusCode: number; error: string }>(
      await call('POST', `/v1/channels/${id}/test`, { bearer: t.bearer }),
    );
    expect(test).toMatchObject({ ok: false, statusCode: 302 });
    expect(test.error).toMatch(/redirect/);
    expect(await receiverLog(path)).toHaveLength(1);
  });

  it('sends email through the configured HTTP API', async () => {
    const res = await call('POST', '/v1/channels', {
      bearer: t.bearer,
      body: { type: 'email', name: 'ops', config: { to: 'ops@example.test' } },
    });
    const { id } = await json<{ id: string }>(res);
    const before = (await receiverLog('/email')).length;
    const test = await json<{ ok: boolean }>(await call('POST', `/v1/channels/${id}/test`, { bearer: t.bearer }));
    expect(test.ok).toBe(true);
    const mails = await receiverLog('/email');
    expect(mails).toHaveLength(before + 1);
    const mail = mails[mails.length - 1] as Received;
    expect(mail.headers.authorization).toBe('Bearer test-email-key');
    expect(JSON.parse(mail.body)).toMatchObject({ from: 'alerts@pulsestream.test', to: ['ops@example.test'] });
  });
});

describe('rule validation', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await newTenant();
  });
  const valid = {
    name: 'r',
    metric: 'error_rate',
    window: '5m',
    condition: { op: '>', threshold: 0.2 },
    severity: 'info',
  };

  /** The valid body with `fragment` appended (a later JSON key replaces an earlier one). */
  const raw = (fragment: string) => JSON.stringify(valid).replace(/}$/, `,${fragment}}`);

  it.each([
    ['an invalid window', '"window":"2m"', 'window'],
    ['an unknown metric', '"metric":"latency_p90"', 'metric'],
    ['recoverBelow above the threshold', '"recoverBelow":0.5', 'recoverBelow'],
    ['recoverBelow on a < rule', '"condition":{"op":"<","threshold":1},"recoverBelow":0.5', 'recoverBelow'],
    ['a malformed for', '"for":"2 minutes"', 'for'],
    ['an anomaly condition with an unknown sensitivity', '"condition":{"anomaly":{"sensitivity":"max"}}', 'condition'],
    ['1e308', '"condition":{"op":">","threshold":1e308}', 'condition'],
    ['a 20-digit number', '"condition":{"op":">","threshold":12345678901234567890}', 'condition'],
    ['a NUL in the name', '"name":"a\\u0000b"', 'name'],
    ['an unpaired surrogate', '"filter":{"source":"a\\ud800"}', 'filter.source'],
    ['__proto__ as a key', '"__proto__":{"x":1}', ''],
    ['constructor as a key', '"constructor":1', ''],
    ['another tenant’s channel', `"channelIds":["${crypto.randomUUID()}"]`, 'channelIds.0'],
  ])('refuses %s', async (label, fragment, where) => {
    const res = await call('POST', '/v1/alert-rules', { bearer: t.bearer, rawBody: raw(fragment) });
    const problem = await expectProblem(res, 400, label);
    if (where) expect(JSON.stringify(problem.errors), label).toContain(`"path":"${where}`);
  });

  it('accepts __proto__ and constructor as filter values', async () => {
    const res = await call('POST', '/v1/alert-rules', {
      bearer: t.bearer,
      rawBody: raw('"filter":{"source":"__proto__","endpoint":"constructor"}'),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await json<{ filter: unknown }>(res)).filter).toEqual({ source: '__proto__', endpoint: 'constructor' });
  });

  it('keeps state across an edit that leaves the condition alone, and resets it on one that does not', async () => {
    const ruleId = await createRule(t, { metric: 'error_rate', condition: { op: '>', threshold: 0.2 }, for: '0s' });
    await simulatedClock(Date.now()).install(t.hub);
    await step(t, liveEvents(Date.now(), 10, 1));
    const firing = await stateOf(t, ruleId);
    expect(firing?.phase).toBe('firing');
    const renamed = await call('PATCH', `/v1/alert-rules/${ruleId}`, {
      bearer: t.bearer,
      body: { name: 'renamed', severity: 'info' },
    });
    expect(renamed.status).toBe(200);
    expect((await stateOf(t, ruleId))?.incidentId).toBe(firing?.incidentId);
    const changed = await call('PATCH', `/v1/alert-rules/${ruleId}`, {
      bearer: t.bearer,
      body: { condition: { op: '>', threshold: 0.9 } },
    });
    expect(changed.status).toBe(200);
    expect((await stateOf(t, ruleId))?.incidentId ?? null).not.toBe(firing?.incidentId);
    // A PATCH that would make the rule invalid is refused as a whole.
    await expectProblem(
      await call('PATCH', `/v1/alert-rules/${ruleId}`, { bearer: t.bearer, body: { recoverBelow: 2 } }),
      400,
    );
  });

  it('lists incidents with keyset pages and filters, and acknowledges', async () => {
    const ids: string[] = [];
    await withDb(async (db) => {
      const { recordAlertTransitions } = await import('@pulsestream/db');
      for (let i = 0; i < 5; i++) {
        const id = crypto.randomUUID();
        ids.push(id);
        await recordAlertTransitions(db, t.tenantId, [
          {
            transitionId: crypto.randomUUID(),
            alertId: id,
            ruleId: crypto.randomUUID(),
            ruleName: `r${i}`,
            severity: 'info',
            source: null,
            metric: 'count',
            from: 'pending',
            to: 'firing',
            at: new Date(Date.UTC(2026, 0, 1, 0, i)),
            value: i,
            threshold: 0,
            silenced: false,
          },
        ]);
      }
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/alerts?limit=2&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { data: { id: string }[]; nextCursor: string | null } = await json(
        await call('GET', q, { bearer: t.bearer }),
      );
      seen.push(...page.data.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await expectProblem(await call('GET', '/v1/alerts?cursor=bogus', { bearer: t.bearer }), 400);
    await expectProblem(await call('GET', '/v1/alerts?from=10000-01-01T00:00:00Z', { bearer: t.bearer }), 400);
    const ack = await call('POST', `/v1/alerts/${ids[0]}/ack`, { bearer: t.bearer });
    expect(ack.status).toBe(200);
    expect((await json<{ state: string }>(ack)).state).toBe('acknowledged');
    const acked = await json<{ data: { id: string }[] }>(
      await call('GET', '/v1/alerts?state=acknowledged', { bearer: t.bearer }),
    );
    expect(acked.data.map((a) => a.id)).toContain(ids[0]);
  });
});
