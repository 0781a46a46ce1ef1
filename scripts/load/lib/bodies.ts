// What the load sends: clean events (single, 100-event batches, gzip), hostile bodies that must be refused
// with a 4xx, and poison events (values that PostgreSQL text/jsonb or the columns cannot hold). Ids are
// client-supplied and unique per run, so every acknowledged event can be looked up afterwards.
import { gzipSync } from 'node:zlib';

const SOURCES = ['stripe', 'openai', 'twilio', 'github', 'internal-billing'];
const ENDPOINTS = ['POST /v1/charges', 'POST /v1/chat/completions', 'GET /v1/messages', 'GET /repos/:id', 'POST /bill'];

export interface CleanEvent {
  id: string;
  timestamp: number;
  source: string;
  endpoint: string;
  method: string;
  status: number;
  latencyMs: number;
  properties: Record<string, unknown>;
}

export class IdSource {
  private n = 0;
  constructor(private readonly prefix: string) {}
  next(): string {
    return `${this.prefix}-${(this.n++).toString(36)}`;
  }
}

export function cleanEvent(ids: IdSource, rand: () => number): CleanEvent {
  const i = Math.floor(rand() * 1e9);
  return {
    id: ids.next(),
    // Within the last 2 minutes: the rollup check then spans a few minutes per tenant.
    timestamp: Date.now() - Math.floor(rand() * 120_000),
    source: SOURCES[i % SOURCES.length] ?? 'stripe',
    endpoint: ENDPOINTS[(i >> 3) % ENDPOINTS.length] ?? 'GET /',
    method: i % 2 ? 'POST' : 'GET',
    status: i % 23 === 0 ? 503 : i % 17 === 0 ? 429 : 200,
    latencyMs: 5 + (i % 2000) / 3,
    properties: { region: 'eu-west-1', attempt: 1 + (i % 3), customer: `cus_${i % 997}` },
  };
}

/** A poison event: passes JSON parsing; storage (text/jsonb/columns) cannot hold it as it is. */
export const POISON_KINDS = {
  'nul-in-property-value': (e: CleanEvent) => ({ ...e, properties: { a: 'x\u0000y' } }),
  'lone-surrogate-in-property-value': (e: CleanEvent) => ({ ...e, properties: { a: 'x\ud800y' } }),
  'nul-in-property-key': (e: CleanEvent) => ({ ...e, properties: { 'a\u0000b': 1 } }),
  'lone-surrogate-in-property-key': (e: CleanEvent) => ({ ...e, properties: { '\udc00k': 1 } }),
  'nested-nul': (e: CleanEvent) => ({ ...e, properties: { a: { b: ['ok', 'n\u0000'] } } }),
  'latency-1e308': (e: CleanEvent) => ({ ...e, latencyMs: 1e308 }),
  'lone-surrogate-in-source': (e: CleanEvent) => ({ ...e, source: 'src\ud83d' }),
  'lone-surrogate-in-endpoint': (e: CleanEvent) => ({ ...e, endpoint: 'GET /\udfff' }),
  // jsonb (numeric) holds these: a control, expected to be acknowledged and stored.
  'huge-number-in-property': (e: CleanEvent) => ({ ...e, properties: { n: 1e308, m: -1e308 } }),
  'year-10000-timestamp': (e: CleanEvent) => ({ ...e, timestamp: '+010000-01-01T00:00:00Z' }),
} as const satisfies Record<string, (e: CleanEvent) => unknown>;
export type PoisonKind = keyof typeof POISON_KINDS;

/**
 * A valid event that storage refuses while the poison fault holds a CHECK constraint on `events` (see
 * scripts/load/run.ts): the only way, once the edge refuses everything unstorable, to put an event the edge
 * accepts in front of a database that refuses it, and so to exercise the consumer's poison isolation.
 */
export const DB_POISON_SOURCE = 'load-refused-by-database';
export const poisonKinds = Object.keys(POISON_KINDS) as PoisonKind[];

export interface HostileBody {
  kind: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Declared length when it lies; null = chunked (no Content-Length). */
  contentLength?: number | null;
  /** Send this many bytes, then drop the connection. */
  cutAfter?: number;
  /** Needs a connection of its own (the client kills it). */
  fresh?: boolean;
}

const enc = new TextEncoder();

let bomb: Uint8Array | undefined;
function gzipBomb(): Uint8Array {
  if (!bomb) {
    const raw = Buffer.alloc(4 * 1024 * 1024, 0x20);
    raw.write('{"events":[', 0);
    bomb = gzipSync(raw);
  }
  return bomb;
}

function bigBatch(ids: IdSource, rand: () => number, bytes: number): string {
  const events: CleanEvent[] = [];
  let size = 12;
  while (size < bytes) {
    const e = cleanEvent(ids, rand);
    e.properties.pad = 'p'.repeat(8000);
    events.push(e);
    size += 8300;
  }
  return JSON.stringify({ events });
}

/** Hostile bodies, each of which must be answered with a 4xx (or dropped by the client itself). */
export function hostileBody(kind: string, ids: IdSource, rand: () => number): HostileBody {
  const json = { 'content-type': 'application/json' };
  const gz = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  switch (kind) {
    case 'malformed-json':
      return { kind, headers: json, body: enc.encode('{"events":[{"source":"x",}') };
    case 'truncated-json': {
      const full = JSON.stringify({ events: [cleanEvent(ids, rand), cleanEvent(ids, rand)] });
      return { kind, headers: json, body: enc.encode(full.slice(0, Math.floor(full.length * rand()))) };
    }
    case 'oversized-declared':
      // Over 1 MiB with an honest Content-Length: refused before reading.
      return { kind, headers: json, body: enc.encode(bigBatch(ids, rand, 1_100_000)) };
    case 'oversized-chunked':
      // Over 1 MiB without Content-Length: refused mid-stream.
      return { kind, headers: json, body: enc.encode(bigBatch(ids, rand, 1_100_000)), contentLength: null };
    case 'gzip-bomb':
      // 4 MiB of spaces compress to a few KB: over the bound after decompression.
      return { kind, headers: gz, body: gzipBomb() };
    case 'bad-gzip': {
      const good = gzipSync(JSON.stringify(cleanEvent(ids, rand)));
      const bad = Buffer.from(good);
      for (let i = 10; i < bad.length - 8; i += 7) bad[i] = (bad[i] ?? 0) ^ 0x5a;
      return { kind, headers: gz, body: bad };
    }
    case 'gzip-truncated': {
      const good = gzipSync(JSON.stringify({ events: [cleanEvent(ids, rand)] }));
      return { kind, headers: gz, body: good.subarray(0, Math.max(11, good.length - 12)) };
    }
    case 'not-gzip-labelled-gzip':
      return { kind, headers: gz, body: enc.encode(JSON.stringify(cleanEvent(ids, rand))) };
    case 'wrong-content-type':
      return {
        kind,
        headers: { 'content-type': 'text/plain' },
        body: enc.encode(JSON.stringify(cleanEvent(ids, rand))),
      };
    case 'invalid-utf8':
      return {
        kind,
        headers: json,
        body: Uint8Array.from([...enc.encode('{"source":"'), 0xff, 0xfe, ...enc.encode('"}')]),
      };
    case 'deep-nesting':
      return {
        kind,
        headers: json,
        body: enc.encode(`{"source":"x","properties":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`),
      };
    case 'too-many-events':
      return {
        kind,
        headers: json,
        body: enc.encode(JSON.stringify({ events: Array.from({ length: 1001 }, () => ({ source: 'x' })) })),
      };
    case 'cut-mid-upload': {
      // The client declares a body and dies halfway: nothing can be acknowledged to it.
      const full = enc.encode(JSON.stringify({ events: Array.from({ length: 50 }, () => cleanEvent(ids, rand)) }));
      return { kind, headers: json, body: full, cutAfter: Math.floor(full.length / 2), fresh: true };
    }
    case 'short-body-long-length': {
      // Content-Length larger than the body; the client then dies: the server must not wait forever.
      const full = enc.encode(JSON.stringify(cleanEvent(ids, rand)));
      return { kind, headers: json, body: full, contentLength: full.length + 100, cutAfter: full.length, fresh: true };
    }
    default:
      throw new Error(`unknown hostile kind ${kind}`);
  }
}

export const HOSTILE_KINDS = [
  'malformed-json',
  'truncated-json',
  'oversized-declared',
  'oversized-chunked',
  'gzip-bomb',
  'bad-gzip',
  'gzip-truncated',
  'not-gzip-labelled-gzip',
  'wrong-content-type',
  'invalid-utf8',
  'deep-nesting',
  'too-many-events',
  'cut-mid-upload',
  'short-body-long-length',
];

export function gzip(text: string): Uint8Array {
  return gzipSync(text);
}

/** mulberry32: a seeded generator, so a run's mix can be replayed with --seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
