import { describe, expect, it } from 'vitest';
import { createLiveTicket } from '../live-ticket';
import { REDACTED, redactSecrets, redactString } from './redact';
import { generateApiKey, generateRefreshToken } from './tokens';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTEiLCJ0aWQiOiJ0LTEifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const API_KEY = 'ps_live_4fT9kQ2mZx7LpW1vB8nR3sY6dH0cJ5gA2eK9uN4qTzX';
const REFRESH = 'psr_Qm9vbGVhbi1maWVsZHMtYXJlLWZ1bi10by10ZXN0LW5vdw';

describe('redactSecrets: sensitive keys', () => {
  it('redacts values under secret-like keys, whatever their type', () => {
    const input = {
      password: 'hunter2hunter2',
      newPassword: 'x',
      accessToken: 'abc',
      refresh_token: 'def',
      clientSecret: 42,
      Authorization: 'Bearer xyz',
      apiKey: 'k',
      'x-api-key': 'k',
      api_key: 'k',
      APIKEY: 'k',
      cookie: 'session=1',
      'set-cookie': ['a=1', 'b=2'],
      token: { nested: 'object' },
    };
    const out = redactSecrets(input) as Record<string, unknown>;
    for (const key of Object.keys(input)) expect(out[key], key).toBe(REDACTED);
  });

  it('keeps ordinary keys and values intact', () => {
    const input = {
      email: 'ada@example.com',
      tenantId: 't-1',
      count: 3,
      ok: true,
      nothing: null,
      missing: undefined,
      big: 10n,
      nested: { status: 200, path: '/v1/me' },
      list: [1, 'two', { three: 3 }],
    };
    expect(redactSecrets(input)).toEqual(input);
  });

  it('redacts at any depth, including inside arrays', () => {
    const out = redactSecrets({ a: { b: [{ c: { password: 'p', keep: 'k' } }] } });
    expect(out).toEqual({ a: { b: [{ c: { password: REDACTED, keep: 'k' } }] } });
  });
});

describe('redactSecrets: credential-shaped strings', () => {
  it('redacts live tickets, also inside a URL under an innocent key', async () => {
    const { ticket } = await createLiveTicket('0190f3a2-7b1c-7def-8a12-3456789abcde', 0);
    const out = redactSecrets({ url: `https://api.test/v1/live?ticket=${ticket}&x=1`, note: ticket }) as Record<
      string,
      string
    >;
    expect(out.url).toBe(`https://api.test/v1/live?ticket=${REDACTED}&x=1`);
    expect(out.note).toBe(REDACTED);
  });

  it('redacts API keys, refresh tokens and JWTs under innocent keys', () => {
    const key = generateApiKey().key;
    const refresh = generateRefreshToken();
    const out = redactSecrets({ note: key, other: refresh, header: JWT, list: [API_KEY, REFRESH] });
    expect(out).toEqual({ note: REDACTED, other: REDACTED, header: REDACTED, list: [REDACTED, REDACTED] });
  });

  it('redacts credentials embedded in longer strings, keeping the rest', () => {
    expect(redactString(`key ${API_KEY} was revoked`)).toBe(`key ${REDACTED} was revoked`);
    expect(redactString(`Authorization: Bearer ${JWT}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString(`rotated ${REFRESH}.`)).toBe(`rotated ${REDACTED}.`);
    expect(redactString(`jwt=${JWT}`)).toBe(`jwt=${REDACTED}`);
  });

  it('redacts an alg:none JWT with an empty signature', () => {
    expect(redactString('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.')).toBe(REDACTED);
  });

  it('redacts opaque bearer and basic credentials', () => {
    expect(redactString('Bearer some-opaque-value-123')).toBe(`Bearer ${REDACTED}`);
    expect(redactString('Basic dXNlcjpwYXNzd29yZA==')).toBe(`Basic ${REDACTED}`);
    expect(redactString('the basic plan')).toBe('the basic plan');
  });

  it('redacts secret-named query parameters', () => {
    expect(redactString('https://x.test/cb?token=abc123&state=ok')).toBe(
      `https://x.test/cb?token=${REDACTED}&state=ok`,
    );
    expect(redactString('refresh_token=zzz; path=/')).toBe(`refresh_token=${REDACTED}; path=/`);
    expect(redactString('GET /live?api_key=k1&tenant=t')).toBe(`GET /live?api_key=${REDACTED}&tenant=t`);
    expect(redactString('password=p4ss word')).toBe(`password=${REDACTED} word`);
  });

  it('leaves look-alikes that are not credentials alone', () => {
    for (const text of ['ps_test_abc', 'eyJ alone', 'user ps_live', 'tokens are counted', 'request 42 ok']) {
      expect(redactString(text)).toBe(text);
    }
  });
});

describe('redactSecrets: structure', () => {
  it('never mutates the input', () => {
    const input = { password: 'p', nested: { token: 't', note: API_KEY }, list: [API_KEY] };
    const snapshot = structuredClone(input);
    const out = redactSecrets(input) as typeof input;
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
    expect(out.nested).not.toBe(input.nested);
    expect(out.list).not.toBe(input.list);
  });

  it('passes primitives through, redacting strings', () => {
    expect(redactSecrets(5)).toBe(5);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(undefined)).toBeUndefined();
    expect(redactSecrets('plain')).toBe('plain');
    expect(redactSecrets(API_KEY)).toBe(REDACTED);
  });

  it('handles cycles without losing shared references', () => {
    const shared = { id: 's' };
    const node: Record<string, unknown> = { name: 'root', a: shared, b: shared };
    node.self = node;
    const out = redactSecrets(node) as Record<string, unknown>;
    expect(out.self).toBe('[circular]');
    expect(out.a).toEqual({ id: 's' });
    expect(out.b).toEqual({ id: 's' });
  });

  it('stops at a depth limit', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const text = JSON.stringify(redactSecrets(deep));
    expect(text).toContain('[truncated]');
    expect(text).not.toContain('leaf');
  });

  it('copies Error name, message, stack and cause, redacted', () => {
    const error = new Error(`login failed for ${API_KEY}`, { cause: { token: 'inner' } });
    Object.assign(error, { code: 'E_AUTH', password: 'p' });
    const out = redactSecrets(error) as Record<string, unknown>;
    expect(out.name).toBe('Error');
    expect(out.message).toBe(`login failed for ${REDACTED}`);
    expect(typeof out.stack).toBe('string');
    expect(String(out.stack)).not.toContain('ps_live_');
    expect(out.cause).toEqual({ token: REDACTED });
    expect(out.code).toBe('E_AUTH');
    expect(out.password).toBe(REDACTED);
  });

  it('turns Headers and Requests into plain objects with credentials redacted', () => {
    const headers = new Headers({ authorization: `Bearer ${JWT}`, 'x-api-key': API_KEY, 'content-type': 'text/plain' });
    expect(redactSecrets(headers)).toEqual({
      authorization: REDACTED,
      'x-api-key': REDACTED,
      'content-type': 'text/plain',
    });
    const request = new Request('https://api.test/v1/live?token=abc', { method: 'POST', headers });
    expect(redactSecrets({ request })).toEqual({
      request: {
        method: 'POST',
        url: `https://api.test/v1/live?token=${REDACTED}`,
        headers: { authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'text/plain' },
      },
    });
  });

  it('converts Maps, Sets, Dates, URLs and binary data', () => {
    const out = redactSecrets({
      map: new Map<unknown, unknown>([
        ['cookie', 'c'],
        ['plain', API_KEY],
        [7, 'seven'],
      ]),
      set: new Set(['a', REFRESH]),
      at: new Date(Date.UTC(2030, 0, 2)),
      url: new URL(`https://x.test/?api_key=${API_KEY}`),
      bytes: new Uint8Array(12),
    });
    expect(out).toEqual({
      map: { cookie: REDACTED, plain: REDACTED, '7': 'seven' },
      set: ['a', REDACTED],
      at: '2030-01-02T00:00:00.000Z',
      url: `https://x.test/?api_key=${REDACTED}`,
      bytes: '[binary 12 bytes]',
    });
  });

  it('redacts credential-shaped keys and keeps __proto__ as a plain key', () => {
    const input = JSON.parse(`{"__proto__": {"polluted": true}, "${API_KEY}": 1}`) as object;
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out).sort()).toEqual(['[redacted]', '__proto__']);
    expect(JSON.stringify(out)).not.toContain('ps_live_');
  });

  it('survives throwing getters', () => {
    const input = {
      ok: 1,
      get broken(): string {
        throw new Error('boom');
      },
    };
    expect(redactSecrets(input)).toEqual({ ok: 1, broken: '[unreadable]' });
  });

  it('leaves no credential in a realistic log line', () => {
    const key = generateApiKey().key;
    const line = {
      level: 'info',
      msg: `ingest accepted for key ${key}`,
      req: { headers: { authorization: `Bearer ${JWT}` }, url: `/v1/live?token=${JWT}` },
      body: { email: 'a@b.c', password: 'correct horse battery' },
      refresh: generateRefreshToken(),
    };
    const text = JSON.stringify(redactSecrets(line));
    for (const secret of [key, JWT, 'correct horse battery', 'psr_', 'eyJ', 'ps_live_']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a@b.c');
    expect(text).toContain('ingest accepted for key');
  });
});
