import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  type DecodedSpan,
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
  mapSpans,
  OtlpDecodeError,
  TooManySpansError,
} from './otlp-traces';

const T0 = Date.parse('2026-11-29T12:00:00Z');

/** Spans as the OpenTelemetry JS SDK records them (fetch/undici instrumentation attributes), serialized by its own serializers. */
function exportedSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@opentelemetry/instrumentation-undici', '0.1.0');
  const client = tracer.startSpan('POST', {
    kind: SpanKind.CLIENT,
    startTime: T0,
    attributes: {
      'http.request.method': 'POST',
      'url.full': 'https://api.stripe.com/v1/customers/cus_NffrFeUfNV2Hib/sources?expand=x',
      'server.address': 'api.stripe.com',
      'server.port': 443,
      'http.response.status_code': 402,
    },
  });
  client.end(T0 + 187.5);
  const server = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    startTime: T0 + 1000,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/orders/:id',
      'url.path': '/orders/42',
      'http.response.status_code': 200,
      'peer.service': 'storefront',
    },
  });
  server.end(T0 + 1012);
  const internal = tracer.startSpan('compute-total', { kind: SpanKind.INTERNAL, startTime: T0 });
  internal.end(T0 + 3);
  const failed = tracer.startSpan('GET', {
    kind: SpanKind.CLIENT,
    startTime: T0 + 2000,
    attributes: {
      'http.request.method': 'GET',
      'url.full': 'https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json',
      'server.address': 'api.twilio.com',
    },
  });
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'ECONNRESET' });
  failed.end(T0 + 2050);
  return exporter.getFinishedSpans();
}

function byName(spans: DecodedSpan[], name: string): DecodedSpan {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}`);
  return s;
}

describe('decoding what the OpenTelemetry JS serializers produce', () => {
  const spans = exportedSpans();
  const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
  const proto = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;

  it('reads the same spans from JSON and protobuf', () => {
    const fromJson = decodeTracesJson(json, 100);
    const fromProto = decodeTracesProtobuf(proto, 100);
    expect(fromJson).toHaveLength(4);
    // Integers are numbers in JS's JSON and exact bigints from protobuf; everything else is identical.
    const norm = (list: DecodedSpan[]) =>
      list.map((s) => ({
        ...s,
        attributes: Object.fromEntries([...s.attributes].map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
      }));
    expect(norm(fromProto)).toEqual(norm(fromJson));
    const client = byName(fromProto, 'POST');
    expect(client).toMatchObject({
      kind: 3,
      serviceName: 'checkout',
      scopeName: '@opentelemetry/instrumentation-undici',
    });
    expect(client.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.spanId).toBe(spans.find((s) => s.name === 'POST')?.spanContext().spanId);
    expect((client.endNs ?? 0n) - (client.startNs ?? 0n)).toBe(187_500_000n);
    expect(byName(fromProto, 'GET').statusCode).toBe(2);
  });

  it('maps HTTP client and server spans to api_call events and skips the rest', () => {
    const mapping = mapSpans(decodeTracesProtobuf(proto, 100));
    expect(mapping.skipped).toBe(1);
    expect(mapping.rejected).toEqual([]);
    const clientSpan = spans.find((s) => s.name === 'POST');
    const events = Object.fromEntries(mapping.events.map((e) => [(e.properties as { spanName: string }).spanName, e]));
    expect(events.POST).toEqual({
      id: `otel-${clientSpan?.spanContext().traceId}-${clientSpan?.spanContext().spanId}`,
      timestamp: T0,
      type: 'api_call',
      source: 'stripe',
      endpoint: 'POST /v1/customers/:id/sources',
      method: 'POST',
      status: 402,
      latencyMs: 187.5,
      properties: {
        traceId: clientSpan?.spanContext().traceId,
        spanId: clientSpan?.spanContext().spanId,
        spanName: 'POST',
        spanKind: 'client',
        service: 'checkout',
        scope: '@opentelemetry/instrumentation-undici',
      },
    });
    expect(events['GET /orders/:id']).toMatchObject({
      source: 'storefront',
      endpoint: 'GET /orders/:id',
      status: 200,
      latencyMs: 12,
    });
    expect(events.GET).toMatchObject({
      source: 'twilio',
      endpoint: 'GET /2010-04-01/Accounts/:id/Messages.json',
      status: null,
      latencyMs: 50,
      properties: { error: 'ECONNRESET' },
    });
  });
});

describe('OTLP JSON as other exporters write it', () => {
  const span = (over: Record<string, unknown>) => ({
    traceId: '5B8EFFF798038103D269B633813FC60C',
    spanId: 'EEE19B7EC3C1B174',
    name: 'POST',
    kind: 3,
    startTimeUnixNano: '1764417600000000000',
    endTimeUnixNano: '1764417600250000000',
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'POST' } },
      { key: 'server.address', value: { stringValue: 'api.openai.com' } },
      { key: 'url.path', value: { stringValue: '/v1/chat/completions' } },
      { key: 'http.response.status_code', value: { intValue: '429' } },
      { key: 'deep', value: { arrayValue: { values: [{ kvlistValue: { values: [] } }] } } },
    ],
    ...over,
  });
  const body = (spans: unknown[]) => ({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'go' }, spans }] }],
  });

  it('takes integer attributes as strings (Go), upper-case hex ids, and enum names for kind', () => {
    const mapped = mapSpans(decodeTracesJson(body([span({ kind: 'SPAN_KIND_CLIENT' })]), 10));
    expect(mapped.events[0]).toMatchObject({
      id: 'otel-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174',
      source: 'openai',
      endpoint: 'POST /v1/chat/completions',
      status: 429,
      latencyMs: 250,
      timestamp: 1764417600000,
    });
  });

  it('rejects HTTP spans it cannot store, with reasons, and skips non-HTTP spans', () => {
    const mapped = mapSpans(
      decodeTracesJson(
        body([
          span({ traceId: '00000000000000000000000000000000' }),
          span({ spanId: 'xyz' }),
          span({ endTimeUnixNano: '1' }),
          span({ endTimeUnixNano: undefined }),
          span({ endTimeUnixNano: '1764427600250000000' }),
          span({
            attributes: [
              { key: 'http.method', value: { stringValue: 'GET' } },
              { key: 'http.status_code', value: { intValue: 1e308 } },
            ],
          }),
          span({ kind: 4 }),
          span({ attributes: [] }),
        ]),
        10,
      ),
    );
    expect(mapped.rejected.map((r) => r.reason)).toEqual([
      'invalid trace id',
      'invalid span id',
      'the span ends before it starts',
      'start or end time missing',
      'the span lasts more than 3600000 ms',
      'http.response.status_code is not an HTTP status',
    ]);
    expect(mapped.skipped).toBe(2);
    expect(mapped.events).toEqual([]);
  });

  it('refuses what is not an ExportTraceServiceRequest, and too many spans', () => {
    expect(() => decodeTracesJson([], 10)).toThrow(OtlpDecodeError);
    expect(() => decodeTracesJson({ resourceSpans: {} }, 10)).toThrow(OtlpDecodeError);
    expect(() => decodeTracesJson({ resourceSpans: [{ scopeSpans: [{ spans: [1] }] }] }, 10)).toThrow(OtlpDecodeError);
    expect(decodeTracesJson({}, 10)).toEqual([]);
    expect(() => decodeTracesJson(body([span({}), span({}), span({})]), 2)).toThrow(TooManySpansError);
    expect(() => decodeTracesProtobuf(new Uint8Array([0x0a, 0xff, 0xff, 0x01]), 10)).toThrow(OtlpDecodeError);
    expect(() => decodeTracesProtobuf(new Uint8Array([0xff]), 10)).toThrow(OtlpDecodeError);
  });
});

describe('ExportTraceServiceResponse', () => {
  it('encodes partialSuccess in protobuf as the OpenTelemetry client decodes it', () => {
    const bytes = encodeTraceResponseProtobuf({ rejectedSpans: 3, errorMessage: 'span 1: invalid trace id' });
    expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toMatchObject({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'span 1: invalid trace id' },
    });
    expect(encodeTraceResponseProtobuf(null)).toHaveLength(0);
    expect(JSON.parse(encodeTraceResponseJson({ rejectedSpans: 0, errorMessage: 'w' }))).toEqual({
      partialSuccess: { rejectedSpans: 0, errorMessage: 'w' },
    });
    expect(encodeTraceResponseJson(null)).toBe('{}');
  });
});
