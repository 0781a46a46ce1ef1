/**
 * The shared security suite: four checks applied to every tenant-scoped route in `routes.ts`, plus a check that
 * the table covers every route the app registers. A new route joins the table in the same change.
 */
import { ROLES, type Role, roleRank } from '@pulsestream/core/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../workers/index';
import { truncateAll } from '../helpers/db';
import { createTenantFixture, type TenantFixture } from './fixtures';
import { call, expectProblem } from './helpers';
import {
  PROTECTED_ROUTES,
  type ProtectedRoute,
  PUBLIC_ROUTES,
  type RequestParts,
  routeKey,
  SEPARATELY_AUTHENTICATED_ROUTES,
} from './routes';
import { badTokens } from './tokens';

let tenantA: TenantFixture;
let tenantB: TenantFixture;
let forged: Record<string, string>;

beforeAll(async () => {
  await truncateAll();
  tenantA = await createTenantFixture('sec-a');
  tenantB = await createTenantFixture('sec-b');
  forged = await badTokens(
    { sub: tenantA.users.owner.id, tid: tenantA.tenantId, role: 'owner' },
    tenantA.users.viewer.token,
  );
});

function registeredRoutes(): string[] {
  const keys = new Set<string>();
  for (const r of app.routes) {
    // `app.use` middleware registers as ALL on a wildcard path; those are not endpoints.
    if (r.method === 'ALL' && r.path.endsWith('*')) continue;
    keys.add(routeKey(r));
  }
  return [...keys].sort();
}

describe('route table', () => {
  it('lists every registered route, and only registered routes', () => {
    const registered = registeredRoutes();
    const listed = new Set([
      ...PROTECTED_ROUTES.map(routeKey),
      ...PUBLIC_ROUTES,
      ...Object.keys(SEPARATELY_AUTHENTICATED_ROUTES),
    ]);
    const missing = registered.filter((k) => !listed.has(k));
    expect(missing, 'routes missing from test/security/routes.ts').toEqual([]);
    const stale = [...listed].filter((k) => !registered.includes(k));
    expect(stale, 'rows in test/security/routes.ts for routes that do not exist').toEqual([]);
    // Sanity: the enumeration itself sees the identity routes (an empty list would pass vacuously).
    expect(registered).toContain('DELETE /v1/users/:id');
    expect(registered).toContain('POST /v1/auth/login');
  });

  it('gives every parameterised route a resource factory and every route a sane shape', () => {
    for (const row of PROTECTED_ROUTES) {
      const label = routeKey(row);
      if (row.path.includes(':')) expect(row.params, `${label} needs params`).toBeTypeOf('function');
      expect(row.accepts.length, label).toBeGreaterThan(0);
      if (row.accepts.includes('user')) expect(row.minRole, label).not.toBeNull();
      else expect(row.minRole, label).toBeNull();
      if (row.accepts.includes('api_key')) expect(row.scope, `${label} needs a scope`).toBeDefined();
    }
  });

  it('documents every protected route in the OpenAPI document', async () => {
    const res = await call('GET', '/openapi.json');
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const row of PROTECTED_ROUTES) {
      const openApiPath = row.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect(doc.paths[openApiPath]?.[row.method.toLowerCase()], routeKey(row)).toBeDefined();
    }
  });
});

async function send(
  row: ProtectedRoute,
  t: TenantFixture,
  credential: { bearer?: string; apiKey?: string },
  params?: Record<string, string>,
): Promise<Response> {
  let path = row.path;
  for (const [name, value] of Object.entries(params ?? {})) path = path.replace(`:${name}`, encodeURIComponent(value));
  const parts: RequestParts = row.request?.(t) ?? {};
  const query = parts.query ? `?${new URLSearchParams(parts.query).toString()}` : '';
  return call(row.method, `${path}${query}`, { ...credential, body: parts.body, headers: parts.headers });
}

/** Path params for `t`'s own resource (or none). */
async function ownParams(row: ProtectedRoute, t: TenantFixture) {
  return row.params ? row.params(t) : undefined;
}

function keyWithout(t: TenantFixture, scope: 'ingest' | 'read'): string {
  return scope === 'ingest' ? t.keys.read : t.keys.ingest;
}

function keyWith(t: TenantFixture, scope: 'ingest' | 'read'): string {
  return scope === 'ingest' ? t.keys.ingest : t.keys.read;
}

describe.each(PROTECTED_ROUTES.map((row) => [routeKey(row), row] as const))('%s', (label, row) => {
  it('1. answers 401 without a credential', async () => {
    await expectProblem(await send(row, tenantA, {}, await ownParams(row, tenantA)), 401, label);
  });

  it('2. answers 401 to malformed, expired, unsigned, wrongly signed or foreign tokens and to bad keys', async () => {
    const params = await ownParams(row, tenantA);
    for (const [name, token] of Object.entries(forged)) {
      await expectProblem(await send(row, tenantA, { bearer: token }, params), 401, `${label} / ${name}`);
    }
    const badKeys = {
      'unknown key': `ps_live_${'A'.repeat(43)}`,
      'truncated key': tenantA.keys.both.slice(0, -1),
      'revoked key': tenantA.keys.revoked,
    };
    for (const [name, key] of Object.entries(badKeys)) {
      await expectProblem(await send(row, tenantA, { apiKey: key }, params), 401, `${label} / X-API-Key ${name}`);
      await expectProblem(await send(row, tenantA, { bearer: key }, params), 401, `${label} / Bearer ${name}`);
    }
  });

  it('3. refuses a role or scope that is too low (403), and a credential kind it does not take', async () => {
    let checks = 0;
    if (row.minRole !== null && row.accepts.includes('user')) {
      const minRole = row.minRole;
      const lower = ROLES.filter((r: Role) => roleRank(r) < roleRank(minRole));
      for (const role of lower) {
        const res = await send(row, tenantA, { bearer: tenantA.users[role].token }, await ownParams(row, tenantA));
        await expectProblem(res, 403, `${label} as ${role}`);
        checks++;
      }
    } else {
      // API-key-only: a user token, even the owner's, is not accepted.
      const res = await send(row, tenantA, { bearer: tenantA.users.owner.token }, await ownParams(row, tenantA));
      expect([401, 403], label).toContain(res.status);
      checks++;
    }
    if (row.accepts.includes('api_key') && row.scope) {
      const res = await send(row, tenantA, { apiKey: keyWithout(tenantA, row.scope) }, await ownParams(row, tenantA));
      await expectProblem(res, 403, `${label} with a key lacking ${row.scope}`);
      checks++;
    } else {
      const res = await send(row, tenantA, { apiKey: tenantA.keys.both }, await ownParams(row, tenantA));
      expect([401, 403], `${label} with an API key`).toContain(res.status);
      checks++;
    }
    expect(checks).toBeGreaterThan(0);
  });

  it('   (control) lets the lowest allowed caller through', async () => {
    const callers: { name: string; credential: { bearer?: string; apiKey?: string } }[] = [];
    if (row.minRole !== null)
      callers.push({ name: row.minRole, credential: { bearer: tenantA.users[row.minRole].token } });
    if (row.accepts.includes('api_key') && row.scope) {
      callers.push({ name: `${row.scope} key`, credential: { apiKey: keyWith(tenantA, row.scope) } });
    }
    for (const caller of callers) {
      const res = await send(row, tenantA, caller.credential, await ownParams(row, tenantA));
      const text = await res.text();
      expect([401, 403, 404], `${label} as ${caller.name}: ${text.slice(0, 200)}`).not.toContain(res.status);
      expect(res.status, `${label} as ${caller.name}: ${text.slice(0, 200)}`).toBeLessThan(500);
    }
  });

  it.runIf(row.params !== undefined)("4. answers 404 for another tenant's resource id", async () => {
    const foreign = await ownParams(row, tenantB);
    const res = await send(row, tenantA, { bearer: tenantA.users.owner.token }, foreign);
    await expectProblem(res, 404, `${label} with tenant B's id as tenant A's owner`);
    // A malformed id is a clean 4xx problem, never a 500 from the database.
    const malformed = Object.fromEntries(Object.keys(foreign ?? {}).map((k) => [k, 'not-a-uuid']));
    const bad = await send(row, tenantA, { bearer: tenantA.users.owner.token }, malformed);
    expect([400, 404], label).toContain(bad.status);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
  });
});
