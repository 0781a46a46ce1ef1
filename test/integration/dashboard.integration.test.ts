import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/index';

// The dashboard's files are served by Workers static assets before the Worker runs (wrangler.toml [assets]); the
// e2e run (npm run test:e2e) checks them through wrangler dev. Here: the Worker's own answers stay API answers,
// with the headers the app factory adds.

const ctx = {
  waitUntil: () => undefined,
  passThroughOnException: () => undefined,
  props: {},
} as unknown as ExecutionContext;

describe('Worker responses next to the dashboard', () => {
  it('answers API paths itself, as problem+json with nosniff, never with the app shell', async () => {
    const res = await exports.default.fetch('http://ps.test/v1/no-such-route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('adds HSTS in production only', async () => {
    const prod = await app.fetch(
      new Request('http://ps.test/v1/no-such-route'),
      { ...env, ENVIRONMENT: 'production' },
      ctx,
    );
    expect(prod.headers.get('strict-transport-security')).toMatch(/^max-age=31536000/);
    const dev = await app.fetch(
      new Request('http://ps.test/v1/no-such-route'),
      { ...env, ENVIRONMENT: 'development' },
      ctx,
    );
    expect(dev.headers.get('strict-transport-security')).toBeNull();
  });
});
