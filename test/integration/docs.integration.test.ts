import { beforeAll, describe, expect, it } from 'vitest';
import { truncateAll } from '../helpers/db';
import { call } from '../security/helpers';

beforeAll(async () => {
  await truncateAll();
});

describe('API reference', () => {
  it('documents the identity routes, schemas and credential schemes in /openapi.json', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/signup',
        '/v1/auth/login',
        '/v1/me',
        '/v1/users/{id}',
        '/v1/api-keys/{id}',
        '/v1/audit-log',
      ]),
    );
    expect(doc.paths['/v1/users/{id}']?.patch?.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['SignupRequest', 'TokenPair', 'User', 'ApiKey', 'CreatedApiKey', 'AuditList', 'Problem']),
    );
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKey']));
  });

  it('serves /docs as self-contained HTML generated from the document', async () => {
    const res = await call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    const html = await res.text();
    expect(html).toContain('/v1/auth/login');
    expect(html).toContain('id="schema-SignupRequest"');
    // Nothing loaded from elsewhere (the machine serving it may be offline), and no inline script: the only
    // script is the Try-it file from the dashboard build.
    expect(html).not.toMatch(/(src|href)=["']https?:/i);
    expect([...html.matchAll(/<script[^>]*>/gi)].map((m) => m[0])).toEqual([
      '<script type="module" src="/docs-assets/try-it.js">',
    ]);
    expect(html).toContain('data-method="post" data-path="/v1/auth/login"');
  });
});
