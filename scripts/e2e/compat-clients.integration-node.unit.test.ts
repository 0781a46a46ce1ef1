/**
 * The official clients against a real local stack (`npm run dev` on free ports, one stack for the file):
 * - Segment's Node client: 1,000 track calls are stored exactly once, and a resend of the same messageIds
 *   stores none;
 * - the OpenTelemetry JS SDK with its OTLP HTTP exporters (JSON, and protobuf gzipped): spans of calls to
 *   Stripe- and Twilio-like hosts become api_call events with the right source, endpoint, status and
 *   latency; an internal span stores nothing.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Analytics } from '@segment/analytics-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Stack, startStack } from '../lib/dev-stack';

let stack: Stack;
let tenant: { tenantId: string; key: string };

beforeAll(async () => {
  stack = await startStack();
  tenant = await createTenant(stack.pgUrl);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function query<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.pgUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function stored(): Promise<number> {
  const rows = await query<{ n: string }>(
    `SELECT count(*)::text AS n FROM events WHERE tenant_id = $1 AND source = 'segment'`,
    [tenant.tenantId],
  );
  return Number(rows[0]?.n ?? 0);
}

async function waitForCount(expected: number, limitMs = 60_000): Promise<number> {
  const started = Date.now();
  let n = await stored();
  while (n < expected && Date.now() - started < limitMs) {
    await new Promise((r) => setTimeout(r, 250));
    n = await stored();
  }
  return n;
}

const clientErrors: unknown[] = [];

function analytics(statuses: number[]): Analytics {
  // The client resolves `path` against `host` (new URL(path, host)), so the prefix goes in the path.
  const a = new Analytics({ writeKey: tenant.key, host: stack.base, path: '/v1/segment/v1/batch', flushInterval: 200 });
  a.on('http_response', (r) => statuses.push(r.status));
  // Emitted when the client gives up on a batch (after its retries): that would be a lost batch.
  a.on('error', (err) => clientErrors.push(err));
  return a;
}

/**
 * Every answer was a success, or a 5xx the client retried (a shared machine's stack can answer 503 while
 * wrangler reloads or the queue is busy; the retry with the same messageIds is what this test is about).
 * Never a 4xx: that would make the client drop the batch.
 */
function expectDelivered(statuses: number[]): void {
  expect(statuses.filter((s) => s !== 200 && s < 500)).toEqual([]);
  expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
  const retried = statuses.filter((s) => s >= 500).length;
  if (retried > 0) console.warn(`segment: ${retried} batch(es) answered 5xx and were retried`);
  expect(clientErrors).toEqual([]);
}

describe('@segment/analytics-node against the local stack', () => {
  it('stores 1,000 track calls exactly once, and a resend of the same messageIds stores none', async () => {
    const statuses: number[] = [];
    const first = analytics(statuses);
    const messageIds: string[] = [];
    first.on('http_request', (req) => {
      for (const m of (JSON.parse(req.body) as { batch: { messageId: string }[] }).batch) messageIds.push(m.messageId);
    });
    for (let i = 0; i < 1000; i++) {
      first.track({ userId: `user-${i % 37}`, event: 'Order Completed', properties: { i, total: i * 1.5 } });
    }
    await first.closeAndFlush({ timeout: 60_000 });
    expect(messageIds).toHaveLength(1000);
    expect(new Set(messageIds).size).toBe(1000);
    expect(messageIds[0]).toMatch(/^node-next-\d+-[0-9a-f-]{36}$/);
    expectDelivered(statuses);
    const afterFirst = await waitForCount(1000);
    expect(afterFirst).toBe(1000);

    const resendStatuses: number[] = [];
    const second = analytics(resendStatuses);
    messageIds.forEach((messageId, i) => {
      second.track({
        userId: `user-${i % 37}`,
        event: 'Order Completed',
        properties: { i, total: i * 1.5 },
        messageId,
      });
    });
    await second.closeAndFlush({ timeout: 60_000 });
    expectDelivered(resendStatuses);
    // The resend was admitted (200) and reached the consumer; a sentinel sent after it, through the same
    // queue, marks when the resend has been processed.
    const third = analytics([]);
    third.track({ userId: 'sentinel', event: 'Sentinel', messageId: 'sentinel-after-resend' });
    await third.closeAndFlush({ timeout: 30_000 });
    expect(await waitForCount(1001)).toBe(1001);
    expect(await stored()).toBe(1001);
  }, 180_000);
});

describe('OpenTelemetry JS SDK with the OTLP HTTP exporters against the local stack', () => {
  /** Records, through the real SDK and exporter, spans as the fetch/undici instrumentation makes them. */
  async function exportSpans(exporter: SpanExporter): Promise<Map<string, { traceId: string; spanId: string }>> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 100 })],
    });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-undici');
    const t0 = Date.now() - 10_000;
    const spans = new Map<string, { traceId: string; spanId: string }>();
    const client = (name: string, url: string, status: number | null, ms: number, offset: number) => {
      const u = new URL(url);
      const span = tracer.startSpan(u.pathname.includes('charges') ? 'POST' : 'GET', {
        kind: SpanKind.CLIENT,
        startTime: t0 + offset,
        attributes: {
          'http.request.method': u.pathname.includes('charges') ? 'POST' : 'GET',
          'url.full': url,
          'server.address': u.hostname,
          'server.port': 443,
          ...(status === null ? {} : { 'http.response.status_code': status }),
        },
      });
      if (status === null) span.setStatus({ code: SpanStatusCode.ERROR, message: 'ECONNRESET' });
      span.end(t0 + offset + ms);
      spans.set(name, { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    };
    client('charge', 'https://api.stripe.com/v1/charges', 200, 245.25, 0);
    client('customer', 'https://api.stripe.com/v1/customers/cus_NffrFeUfNV2Hib?expand[]=sources', 404, 80, 10);
    client(
      'sms',
      'https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json',
      503,
      1500,
      20,
    );
    client('reset', 'https://api.openai.com/v1/models/gpt-4o', null, 30, 30);
    const internal = tracer.startSpan('compute-cart-total', { kind: SpanKind.INTERNAL, startTime: t0 });
    internal.end(t0 + 2);
    spans.set('internal', { traceId: internal.spanContext().traceId, spanId: internal.spanContext().spanId });
    await provider.forceFlush();
    await provider.shutdown();
    return spans;
  }

  async function eventsOf(spans: Map<string, { traceId: string; spanId: string }>, expected: number) {
    const ids = [...spans.values()].map((s) => `otel-${s.traceId}-${s.spanId}`);
    const started = Date.now();
    for (;;) {
      const rows = await query<{
        id: string;
        type: string;
        source: string;
        endpoint: string;
        status: number | null;
        latency_ms: number;
      }>(
        'SELECT id, type, source, endpoint, status, latency_ms FROM events WHERE tenant_id = $1 AND id = ANY($2::text[])',
        [tenant.tenantId, ids],
      );
      if (rows.length >= expected || Date.now() - started > 60_000) return rows;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  function expectMapped(
    spans: Map<string, { traceId: string; spanId: string }>,
    rows: Awaited<ReturnType<typeof eventsOf>>,
  ) {
    const byName = new Map(
      [...spans].map(([name, s]) => [name, rows.find((r) => r.id === `otel-${s.traceId}-${s.spanId}`)]),
    );
    const view = (name: string) => {
      const r = byName.get(name);
      return (
        r && { type: r.type, source: r.source, endpoint: r.endpoint, status: r.status, latencyMs: Number(r.latency_ms) }
      );
    };
    expect(view('charge')).toEqual({
      type: 'api_call',
      source: 'stripe',
      endpoint: 'POST /v1/charges',
      status: 200,
      latencyMs: 245.25,
    });
    expect(view('customer')).toEqual({
      type: 'api_call',
      source: 'stripe',
      endpoint: 'GET /v1/customers/:id',
      status: 404,
      latencyMs: 80,
    });
    expect(view('sms')).toEqual({
      type: 'api_call',
      source: 'twilio',
      endpoint: 'GET /2010-04-01/Accounts/:id/Messages/:id.json',
      status: 503,
      latencyMs: 1500,
    });
    expect(view('reset')).toEqual({
      type: 'api_call',
      source: 'openai',
      endpoint: 'GET /v1/models/:id',
      status: null,
      latencyMs: 30,
    });
    expect(byName.get('internal')).toBeUndefined();
    expect(rows).toHaveLength(4);
  }

  it('stores the HTTP spans exported as OTLP JSON, and nothing for the internal span', async () => {
    const exporter = new OTLPJsonExporter({
      url: `${stack.base}/v1/otlp/v1/traces`,
      headers: { authorization: `Bearer ${tenant.key}` },
    });
    const spans = await exportSpans(exporter);
    expectMapped(spans, await eventsOf(spans, 4));
  }, 90_000);

  it('stores the HTTP spans exported as OTLP protobuf, gzipped, with x-api-key', async () => {
    const exporter = new OTLPProtoExporter({
      url: `${stack.base}/v1/otlp/v1/traces`,
      headers: { 'x-api-key': tenant.key },
      compression: CompressionAlgorithm.GZIP,
    });
    const spans = await exportSpans(exporter);
    expectMapped(spans, await eventsOf(spans, 4));
  }, 90_000);
});
