import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { AUTH_BODY_BYTES, DEFAULT_BODY_BYTES } from '../../workers/lib/body-limit';
import { createTestTenant } from '../helpers/tenants';

function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(64 * 1024, bytes - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
}

async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return exports.default.fetch(`http://ps.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    // @ts-expect-error: workerd needs duplex for a streamed body
    duplex: 'half',
  });
}

describe('body limits', () => {
  it('refuses a 48 MB login and a 24 MB signup with 413, whether declared or streamed', async () => {
    const login = await post('/v1/auth/login', `{"email":"a@b.c","password":"${'x'.repeat(48 * 1024 * 1024)}"}`);
    expect(login.status).toBe(413);
    expect(login.headers.get('content-type')).toMatch(/problem\+json/);
    const signup = await post('/v1/auth/signup', chunked(24 * 1024 * 1024));
    expect(signup.status).toBe(413);
    const justOver = await post('/v1/auth/refresh', chunked(AUTH_BODY_BYTES + 1));
    expect(justOver.status).toBe(413);
  });

  it('refuses bodies past the default bound on the other routes, and still parses bodies under it', async () => {
    const t = await createTestTenant({ role: 'admin' });
    const big = await post('/v1/api-keys', chunked(DEFAULT_BODY_BYTES + 1), { authorization: t.bearer });
    expect(big.status).toBe(413);
    const ok = await post('/v1/api-keys', JSON.stringify({ name: 'k', scopes: ['read'] }), { authorization: t.bearer });
    expect(ok.status).toBe(201);
    const login = await post('/v1/auth/login', JSON.stringify({ email: 'nobody@example.com', password: 'x' }));
    expect(login.status).toBe(401);
  });

  it('answers a NUL and lone surrogates in auth fields with a 4xx, never a 500', async () => {
    for (const body of [
      { email: 'a\u0000@b.c', password: 'correct horse battery staple', tenantName: 'x' },
      { email: 'a@b.c', password: 'pass\ud800word-long-enough', tenantName: 'x' },
      { email: 'a@b.c', password: 'correct horse battery staple', tenantName: '\u0000' },
      { email: 'a@b.c', password: 'correct horse battery staple', tenantName: '__proto__', constructor: 1 },
    ]) {
      const res = await post('/v1/auth/signup', JSON.stringify(body), { 'cf-connecting-ip': '203.0.113.77' });
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
    }
  });
});

describe('signup throttle', () => {
  it('refuses signups past the per-address limit with 429 and Retry-After; other addresses go on', async () => {
    const ip = '198.51.100.23';
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await post(
        '/v1/auth/signup',
        JSON.stringify({
          tenantName: `Throttle ${i}`,
          email: `t${i}-${crypto.randomUUID()}@example.com`,
          password: 'correct horse battery staple',
        }),
        { 'cf-connecting-ip': ip },
      );
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(statuses[20]).toBe(429);
    const other = await post(
      '/v1/auth/signup',
      JSON.stringify({
        tenantName: 'Other',
        email: `o-${crypto.randomUUID()}@example.com`,
        password: 'correct horse battery staple',
      }),
      { 'cf-connecting-ip': '198.51.100.24' },
    );
    expect(other.status).toBe(201);
  });
});
