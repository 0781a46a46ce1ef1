import { env } from 'cloudflare:workers';
import type { Role } from '@pulsestream/core/auth';
import { expect } from 'vitest';
import { call, json } from './helpers';

const ROLES_BELOW_OWNER: readonly Exclude<Role, 'owner'>[] = ['admin', 'member', 'viewer'];

/** One signed-up tenant with a user of every role and API keys of every scope set, all made through the API. */
export interface TenantFixture {
  tenantId: string;
  slug: string;
  password: string;
  users: Record<Role, { id: string; email: string; token: string }>;
  keys: { ingest: string; read: string; both: string; revoked: string };
  keyIds: { ingest: string; read: string; both: string; revoked: string };
}

interface SignupBody {
  tenant: { id: string; slug: string };
  user: { id: string; email: string };
  accessToken: string;
  refreshToken: string;
}

/** Signs a tenant up and returns the raw response body (for tests of signup itself). */
export async function signup(tenantName: string, email: string, password: string): Promise<SignupBody> {
  const res = await call('POST', '/v1/auth/signup', { body: { tenantName, email, password } });
  expect(res.status, await res.clone().text()).toBe(201);
  return json<SignupBody>(res);
}

/** Logs in and returns the token pair. */
export async function login(email: string, password: string, ip: string, tenant?: string) {
  const res = await call('POST', '/v1/auth/login', { body: { email, password, tenant }, ip });
  expect(res.status, await res.clone().text()).toBe(200);
  return json<{ accessToken: string; refreshToken: string; expiresIn: number }>(res);
}

/**
 * Builds a tenant: signup (owner), then an admin, a member and a viewer created by the owner and logged in,
 * and API keys with `ingest`, `read`, both, and a revoked one. Everything goes through the HTTP API so the
 * fixture itself exercises the routes under test.
 */
export async function createTenantFixture(label: string): Promise<TenantFixture> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const password = `pw-${crypto.randomUUID()}`;
  const ip = `10.250.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const owner = await signup(`${label} ${suffix}`, `owner-${suffix}@${label}.test`, password);
  const users = {
    owner: { id: owner.user.id, email: owner.user.email, token: owner.accessToken },
  } as TenantFixture['users'];
  for (const role of ROLES_BELOW_OWNER) {
    const email = `${role}-${suffix}@${label}.test`;
    const res = await call('POST', '/v1/users', { bearer: owner.accessToken, body: { email, password, role } });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = await json<{ id: string }>(res);
    const tokens = await login(email, password, ip, owner.tenant.slug);
    users[role] = { id: created.id, email, token: tokens.accessToken };
  }
  const makeKey = async (name: string, scopes: string[]) => {
    const res = await call('POST', '/v1/api-keys', { bearer: owner.accessToken, body: { name, scopes } });
    expect(res.status, await res.clone().text()).toBe(201);
    return json<{ id: string; key: string }>(res);
  };
  const ingest = await makeKey('ingest', ['ingest']);
  const read = await makeKey('read', ['read']);
  const both = await makeKey('both', ['ingest', 'read']);
  const revoked = await makeKey('revoked', ['ingest', 'read']);
  const del = await call('DELETE', `/v1/api-keys/${revoked.id}`, { bearer: owner.accessToken });
  expect(del.status).toBe(204);
  return {
    tenantId: owner.tenant.id,
    slug: owner.tenant.slug,
    password,
    users,
    keys: { ingest: ingest.key, read: read.key, both: both.key, revoked: revoked.key },
    keyIds: { ingest: ingest.id, read: read.id, both: both.id, revoked: revoked.id },
  };
}

/** The JWT settings of the Worker under test, for forging tokens in refusal tests. */
export function jwtSettings() {
  const secret = env.JWT_SECRET;
  if (!secret) throw new Error('JWT_SECRET missing in the test environment');
  return { secret, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE };
}
