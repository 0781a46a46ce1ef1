import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type BodyRules, decodeJson, readBody } from '../../workers/lib/ingest/read-body';

const RULES: BodyRules = {
  contentType: { pattern: /^application\/json\s*(;|$)/i, detail: 'The body must be application/json.' },
  maxBytes: 64,
  tooLarge: 'payload_too_large',
  gzip: true,
  declaredSize: 'any',
};

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request('http://ps.test/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    // Node's fetch wants this for a stream body; workerd ignores it.
    duplex: 'half',
  } as RequestInit);
}

/** A body whose stream fails part-way, as when the client goes away mid-upload. */
function brokenStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"a":'));
      controller.error(new Error('connection reset'));
    },
  });
}

describe('readBody: data, or a refusal, never a throw', () => {
  it('reads an identity body and a gzip body to the same bytes', async () => {
    const text = '{"source":"stripe"}';
    const plain = await readBody(post(text), RULES);
    const zipped = await readBody(post(gzipSync(text), { 'content-encoding': 'gzip' }), RULES);
    expect(plain.ok && new TextDecoder().decode(plain.value)).toBe(text);
    expect(zipped.ok && new TextDecoder().decode(zipped.value)).toBe(text);
  });

  const refusals: [string, () => Request, BodyRules, string, RegExp][] = [
    [
      'another content type',
      () => post('{}', { 'content-type': 'text/plain' }),
      RULES,
      'unsupported_media_type',
      /application\/json/,
    ],
    [
      'another encoding',
      () => post('{}', { 'content-encoding': 'br' }),
      RULES,
      'unsupported_media_type',
      /gzip or absent/,
    ],
    [
      'gzip where only identity is accepted',
      () => post('{}', { 'content-encoding': 'gzip' }),
      { ...RULES, gzip: false },
      'unsupported_media_type',
      /not accepted/,
    ],
    ['a declared size over the bound', () => post('x'.repeat(65)), RULES, 'payload_too_large', /at most 64 bytes\.$/],
    [
      'a gzip body past the bound once inflated',
      () => post(gzipSync('x'.repeat(1000)), { 'content-encoding': 'gzip' }),
      RULES,
      'payload_too_large',
      /after decompression/,
    ],
    [
      'corrupt gzip',
      () => post(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]), { 'content-encoding': 'gzip' }),
      RULES,
      'bad_request',
      /not valid gzip/,
    ],
    ['no body', () => post(null), RULES, 'bad_request', /empty/],
    ['a body cut off mid-upload', () => post(brokenStream()), RULES, 'bad_request', /not received in full/],
    [
      'an oversized body refused as Segment does (400)',
      () => post('x'.repeat(65)),
      { ...RULES, tooLarge: 'bad_request', declaredSize: 'identity' },
      'bad_request',
      /at most 64 bytes/,
    ],
  ];
  for (const [name, request, rules, code, detail] of refusals) {
    it(`refuses ${name}`, async () => {
      const read = await readBody(request(), rules);
      expect(read.ok).toBe(false);
      if (read.ok) return;
      expect(read.refusal.code).toBe(code);
      expect(read.refusal.detail).toMatch(detail);
    });
  }

  it('reads a chunked body without Content-Length within the bound, and refuses one past it', async () => {
    const chunks = (n: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < n; i++) controller.enqueue(new TextEncoder().encode('0123456789'));
          controller.close();
        },
      });
    const small = await readBody(post(chunks(6)), RULES);
    expect(small.ok && small.value.length).toBe(60);
    const big = await readBody(post(chunks(7)), RULES);
    expect(big.ok === false && big.refusal.code).toBe('payload_too_large');
  });
});

describe('decodeJson', () => {
  const bytes = (s: string | number[]) => (typeof s === 'string' ? new TextEncoder().encode(s) : new Uint8Array(s));

  it('parses UTF-8 JSON, keeping __proto__ as a plain key', () => {
    const read = decodeJson(bytes('{"__proto__":{"x":1},"a":"é"}'));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(Object.keys(read.value as object)).toEqual(['__proto__', 'a']);
  });

  it('says which failed: UTF-8 (400) or JSON (malformed)', () => {
    expect(decodeJson(bytes([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      refusal: { code: 'bad_request', detail: 'The body is not valid UTF-8.' },
    });
    expect(decodeJson(bytes('{"a":'))).toEqual({
      ok: false,
      refusal: { code: 'malformed_json', detail: 'The body is not valid JSON.' },
    });
  });

  it('with one wording, refuses both as malformed JSON (the compatible routes)', () => {
    const detail = 'The body is not valid UTF-8 JSON.';
    expect(decodeJson(bytes([0xff]), detail)).toEqual({ ok: false, refusal: { code: 'malformed_json', detail } });
    expect(decodeJson(bytes('nope'), detail)).toEqual({ ok: false, refusal: { code: 'malformed_json', detail } });
  });
});
