/**
 * OTLP/HTTP trace export (`ExportTraceServiceRequest`, JSON or protobuf) mapped onto `api_call` events.
 * Pure: the route reads and admits; this decodes and decides. Docs: API.md "Compatible ingestion".
 *
 * Only what the mapping needs is decoded: span ids, kind, name, times, status and primitive attributes.
 * Array and map attribute values are skipped unread, so a hostile nesting depth costs nothing.
 */

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { endpointName, sourceForHost, templatePath } from '@pulsestream/sdk/naming';
import { MAX_LATENCY_MS } from './event-schema';

/** Span kinds, 1-based as in OTLP (`SPAN_KIND_CLIENT` = 3). */
export const SPAN_KIND = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** A primitive attribute value, as both encodings give it. Integers stay exact as bigint from protobuf. */
export type AttrValue = string | number | boolean | bigint;

/** One span, reduced to what the mapping reads; the same shape from JSON and from protobuf. */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint | null;
  endNs: bigint | null;
  attributes: Map<string, AttrValue>;
  statusCode: number;
  statusMessage: string;
  serviceName: string | null;
  scopeName: string | null;
}

export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// ---------- protobuf ----------

/** Fields of the messages read here (opentelemetry/proto/trace/v1/trace.proto, common/v1, resource/v1). */
function sub(reader: BinaryReader): BinaryReader {
  return new BinaryReader(reader.bytes());
}

function readAnyValue(r: BinaryReader): AttrValue | undefined {
  let value: AttrValue | undefined;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) value = r.string();
    else if (field === 2 && wire === WireType.Varint) value = r.bool();
    else if (field === 3 && wire === WireType.Varint) value = BigInt(r.int64());
    else if (field === 4 && wire === WireType.Bit64) value = r.double();
    else r.skip(wire, field);
  }
  return value;
}

function readKeyValue(r: BinaryReader, into: Map<string, AttrValue>): void {
  let key = '';
  let value: AttrValue | undefined;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) key = r.string();
    else if (field === 2 && wire === WireType.LengthDelimited) value = readAnyValue(sub(r));
    else r.skip(wire, field);
  }
  if (value !== undefined) into.set(key, value);
}

function readAttributesOf(r: BinaryReader, attrField: number): Map<string, AttrValue> {
  const attrs = new Map<string, AttrValue>();
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === attrField && wire === WireType.LengthDelimited) readKeyValue(sub(r), attrs);
    else r.skip(wire, field);
  }
  return attrs;
}

function readScopeName(r: BinaryReader): string {
  let name = '';
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) name = r.string();
    else r.skip(wire, field);
  }
  return name;
}

function readSpan(r: BinaryReader, serviceName: string | null, scopeName: string | null): DecodedSpan {
  const span: DecodedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startNs: null,
    endNs: null,
    attributes: new Map(),
    statusCode: 0,
    statusMessage: '',
    serviceName,
    scopeName,
  };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) span.traceId = hex(r.bytes());
    else if (field === 2 && wire === WireType.LengthDelimited) span.spanId = hex(r.bytes());
    else if (field === 4 && wire === WireType.LengthDelimited) span.parentSpanId = hex(r.bytes());
    else if (field === 5 && wire === WireType.LengthDelimited) span.name = r.string();
    else if (field === 6 && wire === WireType.Varint) span.kind = r.int32();
    else if (field === 7 && wire === WireType.Bit64) span.startNs = BigInt(r.fixed64());
    else if (field === 8 && wire === WireType.Bit64) span.endNs = BigInt(r.fixed64());
    else if (field === 9 && wire === WireType.LengthDelimited) readKeyValue(sub(r), span.attributes);
    else if (field === 15 && wire === WireType.LengthDelimited) {
      const s = sub(r);
      while (s.pos < s.len) {
        const [f, w] = s.tag();
        if (f === 2 && w === WireType.LengthDelimited) span.statusMessage = s.string();
        else if (f === 3 && w === WireType.Varint) span.statusCode = s.int32();
        else s.skip(w, f);
      }
    } else r.skip(wire, field);
  }
  return span;
}

/** Decodes an `ExportTraceServiceRequest` in protobuf form. Throws OtlpDecodeError on malformed input. */
export function decodeTracesProtobuf(bytes: Uint8Array, maxSpans: number): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  try {
    const req = new BinaryReader(bytes);
    while (req.pos < req.len) {
      const [field, wire] = req.tag();
      if (field !== 1 || wire !== WireType.LengthDelimited) {
        req.skip(wire, field);
        continue;
      }
      // ResourceSpans: resource = 1, scope_spans = 2. The resource may come after the spans on the wire,
      // so scope spans are kept as bytes until the whole message has been seen.
      const rs = sub(req);
      let serviceName: string | null = null;
      const scopeSpans: Uint8Array[] = [];
      while (rs.pos < rs.len) {
        const [f, w] = rs.tag();
        if (f === 1 && w === WireType.LengthDelimited) {
          const name = readAttributesOf(sub(rs), 1).get('service.name');
          if (typeof name === 'string') serviceName = name;
        } else if (f === 2 && w === WireType.LengthDelimited) scopeSpans.push(rs.bytes());
        else rs.skip(w, f);
      }
      for (const ssBytes of scopeSpans) {
        const ss = new BinaryReader(ssBytes);
        let scopeName: string | null = null;
        const spanBytes: Uint8Array[] = [];
        while (ss.pos < ss.len) {
          const [f, w] = ss.tag();
          if (f === 1 && w === WireType.LengthDelimited) scopeName = readScopeName(sub(ss));
          else if (f === 2 && w === WireType.LengthDelimited) spanBytes.push(ss.bytes());
          else ss.skip(w, f);
        }
        for (const b of spanBytes) {
          if (spans.length >= maxSpans) throw new TooManySpansError(maxSpans);
          spans.push(readSpan(new BinaryReader(b), serviceName, scopeName));
        }
      }
    }
  } catch (err) {
    if (err instanceof TooManySpansError) throw err;
    throw new OtlpDecodeError(`the body is not a valid ExportTraceServiceRequest (${(err as Error).message})`);
  }
  return spans;
}

export class TooManySpansError extends Error {
  constructor(readonly max: number) {
    super(`more than ${max} spans in one request`);
    this.name = 'TooManySpansError';
  }
}

// ---------- JSON ----------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonAnyValue(v: unknown): AttrValue | undefined {
  if (!isObject(v)) return undefined;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  // int64 in OTLP JSON: a number from JS exporters, a decimal string from Go and the protobuf JSON mapping.
  if (typeof v.intValue === 'number' && Number.isInteger(v.intValue)) return v.intValue;
  if (typeof v.intValue === 'string' && /^-?\d{1,20}$/.test(v.intValue)) return BigInt(v.intValue);
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  if (typeof v.doubleValue === 'string' && Number.isFinite(Number(v.doubleValue))) return Number(v.doubleValue);
  return undefined;
}

function jsonAttributes(list: unknown): Map<string, AttrValue> {
  const attrs = new Map<string, AttrValue>();
  if (!Array.isArray(list)) return attrs;
  for (const kv of list) {
    if (!isObject(kv) || typeof kv.key !== 'string') continue;
    const value = jsonAnyValue(kv.value);
    if (value !== undefined) attrs.set(kv.key, value);
  }
  return attrs;
}

/** Nanoseconds as OTLP JSON writes them: a decimal string, or a number from some exporters. */
function jsonNanos(v: unknown): bigint | null {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return null;
}

/** Span and trace ids: hex in OTLP JSON (the spec's exception to the protobuf JSON mapping). */
function jsonId(v: unknown): string {
  return typeof v === 'string' ? v.toLowerCase() : '';
}

const JSON_KINDS: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

/** Decodes an `ExportTraceServiceRequest` in OTLP JSON form (already parsed). */
export function decodeTracesJson(body: unknown, maxSpans: number): DecodedSpan[] {
  if (!isObject(body)) throw new OtlpDecodeError('the body must be a JSON object (ExportTraceServiceRequest)');
  const resourceSpans = body.resourceSpans ?? body.resource_spans ?? [];
  if (!Array.isArray(resourceSpans)) throw new OtlpDecodeError('"resourceSpans" must be an array');
  const spans: DecodedSpan[] = [];
  for (const rs of resourceSpans) {
    if (!isObject(rs)) throw new OtlpDecodeError('each entry of "resourceSpans" must be an object');
    const resource = isObject(rs.resource) ? rs.resource : {};
    const service = jsonAttributes(resource.attributes).get('service.name');
    const serviceName = typeof service === 'string' ? service : null;
    const scopeSpans = rs.scopeSpans ?? rs.scope_spans ?? rs.instrumentationLibrarySpans ?? [];
    if (!Array.isArray(scopeSpans)) throw new OtlpDecodeError('"scopeSpans" must be an array');
    for (const ss of scopeSpans) {
      if (!isObject(ss)) throw new OtlpDecodeError('each entry of "scopeSpans" must be an object');
      const scope = isObject(ss.scope)
        ? ss.scope
        : isObject(ss.instrumentationLibrary)
          ? ss.instrumentationLibrary
          : {};
      const scopeName = typeof scope.name === 'string' ? scope.name : null;
      const list = ss.spans ?? [];
      if (!Array.isArray(list)) throw new OtlpDecodeError('"spans" must be an array');
      for (const s of list) {
        if (spans.length >= maxSpans) throw new TooManySpansError(maxSpans);
        if (!isObject(s)) throw new OtlpDecodeError('each span must be an object');
        const status = isObject(s.status) ? s.status : {};
        const kind = typeof s.kind === 'number' ? s.kind : typeof s.kind === 'string' ? (JSON_KINDS[s.kind] ?? 0) : 0;
        const statusCode =
          typeof status.code === 'number'
            ? status.code
            : status.code === 'STATUS_CODE_ERROR'
              ? 2
              : status.code === 'STATUS_CODE_OK'
                ? 1
                : 0;
        spans.push({
          traceId: jsonId(s.traceId ?? s.trace_id),
          spanId: jsonId(s.spanId ?? s.span_id),
          parentSpanId: jsonId(s.parentSpanId ?? s.parent_span_id),
          name: typeof s.name === 'string' ? s.name : '',
          kind,
          startNs: jsonNanos(s.startTimeUnixNano ?? s.start_time_unix_nano),
          endNs: jsonNanos(s.endTimeUnixNano ?? s.end_time_unix_nano),
          attributes: jsonAttributes(s.attributes),
          statusCode,
          statusMessage: typeof status.message === 'string' ? status.message : '',
          serviceName,
          scopeName,
        });
      }
    }
  }
  return spans;
}

// ---------- mapping ----------

export interface SpanMapping {
  /** Events for `validateEvents`, one per mapped span. */
  events: Record<string, unknown>[];
  /** For each event, the index of its span in the request. */
  spanIndexes: number[];
  /** Spans that are not HTTP client/server calls: accepted, not stored. */
  skipped: number;
  /** Spans that claim to be HTTP calls but cannot be stored, with why. */
  rejected: { index: number; reason: string }[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

function str(attrs: Map<string, AttrValue>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = attrs.get(k);
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

/** An HTTP status code from an attribute that may be a number, a bigint or a decimal string (Go). */
function statusOf(attrs: Map<string, AttrValue>): number | null | 'invalid' {
  for (const k of ['http.response.status_code', 'http.status_code']) {
    const v = attrs.get(k);
    if (v === undefined) continue;
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\d{1,3}$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599) return n;
    return 'invalid';
  }
  return null;
}

function urlParts(raw: string | undefined): { host: string; path: string } | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return { host: u.hostname, path: u.pathname };
  } catch {
    return null;
  }
}

/** Why an HTTP span cannot be stored, or null. */
function spanProblem(span: DecodedSpan): string | null {
  if (!TRACE_ID.test(span.traceId) || /^0+$/.test(span.traceId)) return 'invalid trace id';
  if (!SPAN_ID.test(span.spanId) || /^0+$/.test(span.spanId)) return 'invalid span id';
  if (span.startNs === null || span.endNs === null) return 'start or end time missing';
  if (span.endNs < span.startNs) return 'the span ends before it starts';
  if (Number(span.endNs - span.startNs) / 1e6 > MAX_LATENCY_MS) return `the span lasts more than ${MAX_LATENCY_MS} ms`;
  if (statusOf(span.attributes) === 'invalid') return 'http.response.status_code is not an HTTP status';
  return null;
}

/** The stored id of a span's event: stable across the exporter's resends of the same span. */
export function spanEventId(traceId: string, spanId: string): string {
  return `otel-${traceId}-${spanId}`;
}

/**
 * CLIENT and SERVER spans with HTTP semantic conventions (old or new attribute names) become `api_call`
 * events: source from `peer.service`, else the server host mapped like the SDK's (`api.stripe.com` →
 * `stripe`); endpoint `METHOD` + `http.route` or the templated path; status; latency from start and end;
 * trace and span ids as properties. Every other span is skipped.
 */
export function mapSpans(spans: DecodedSpan[]): SpanMapping {
  const out: SpanMapping = { events: [], spanIndexes: [], skipped: 0, rejected: [] };
  spans.forEach((span, index) => {
    const a = span.attributes;
    const method = str(a, 'http.request.method', 'http.method');
    if ((span.kind !== SPAN_KIND.CLIENT && span.kind !== SPAN_KIND.SERVER) || method === undefined) {
      out.skipped++;
      return;
    }
    const problem = spanProblem(span);
    if (problem !== null) {
      out.rejected.push({ index, reason: problem });
      return;
    }
    const latencyMs = Number((span.endNs ?? 0n) - (span.startNs ?? 0n)) / 1e6;
    const status = statusOf(a) as number | null;

    const url = urlParts(str(a, 'url.full', 'http.url'));
    const host = str(a, 'server.address', 'net.peer.name', 'net.host.name') ?? url?.host ?? str(a, 'http.host');
    const source =
      str(a, 'peer.service') ?? (host !== undefined ? sourceForHost(host) : undefined) ?? span.serviceName ?? 'unknown';
    const route = str(a, 'http.route');
    const path = url?.path ?? str(a, 'url.path', 'http.target');
    const upper = method.toUpperCase();
    const endpoint = route
      ? `${upper} ${route.startsWith('/') ? route : `/${route}`}`
      : path !== undefined
        ? endpointName(upper, path)
        : `${upper} ${templatePath('/')}`;

    const properties: Record<string, unknown> = {
      traceId: span.traceId,
      spanId: span.spanId,
      spanName: span.name,
      spanKind: span.kind === SPAN_KIND.CLIENT ? 'client' : 'server',
    };
    if (SPAN_ID.test(span.parentSpanId) && !/^0+$/.test(span.parentSpanId)) properties.parentSpanId = span.parentSpanId;
    if (span.serviceName) properties.service = span.serviceName;
    if (span.scopeName) properties.scope = span.scopeName;
    if (span.statusCode === 2) properties.error = span.statusMessage || 'error';

    out.events.push({
      id: spanEventId(span.traceId, span.spanId),
      timestamp: Number((span.startNs ?? 0n) / 1_000_000n),
      type: 'api_call',
      source,
      endpoint,
      method: upper,
      status,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      properties,
    });
    out.spanIndexes.push(index);
  });
  return out;
}

// ---------- response ----------

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** `ExportTraceServiceResponse` as OTLP JSON; `partialSuccess` only when something was rejected or skipped. */
export function encodeTraceResponseJson(partial: PartialSuccess | null): string {
  return JSON.stringify(partial ? { partialSuccess: partial } : {});
}

/** `ExportTraceServiceResponse` as protobuf: partial_success = 1 { rejected_spans = 1, error_message = 2 }. */
export function encodeTraceResponseProtobuf(partial: PartialSuccess | null): Uint8Array<ArrayBuffer> {
  const w = new BinaryWriter();
  if (partial) {
    w.tag(1, WireType.LengthDelimited).fork();
    if (partial.rejectedSpans !== 0) w.tag(1, WireType.Varint).int64(partial.rejectedSpans);
    if (partial.errorMessage) w.tag(2, WireType.LengthDelimited).string(partial.errorMessage);
    w.join();
  }
  return w.finish();
}
