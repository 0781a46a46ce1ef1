import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sha256Hex } from '@pulsestream/core/auth';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoginThrottle } from '../../workers/objects/login-throttle';
import { truncateAll } from '../helpers/db';
import { createTenantFixture, login, signup, type TenantFixture } from '../security/fixtures';
import { call, expectProblem, freshIp, json, waitFor } from '../security/helpers';

interface AuditBody {
  data: { action: string; actorId: string | null; targetId: string | null; metadata: unknown }[];
  nextCursor: string | null;
}

const PASSWORD = 'a-long-enough-password';

let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  await truncateAll();
  a = await createTenantFixture('iso-a');
  b = await createTenantFixture('iso-b');
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function audit(token: string): Promise<AuditBody> {
  const res = await call('GET', '/v1/audit-log?limit=200', { bearer: token });
  expect(res.status).toBe(200);
  return json<AuditBody>(res);
}

describe('signup', () => {
  it('creates a tenant with a unique slug and its owner, with a working session', async () => {
    const email = `Founder-${crypto.randomUUID().slice(0, 6)}@Example.test`;
    const first = await signup('Acme Widgets', email, PASSWORD);
    expect(first.tenant.slug).toBe('acme-widgets');
    expect(first.user.email).toBe(email.toLowerCase());
    expect(first.user).toMatchObject({ role: 'owner' });
    const second = await signup('Acme Widgets', `other-${email}`, PASSWORD);
    expect(second.tenant.slug).toBe('acme-widgets-2');
    const me = await call('GET', '/v1/me', { bearer: first.accessToken });
    expect(await json(me)).toMatchObject({
      user: { id: first.user.id, role: 'owner' },
      tenant: { id: first.tenant.id },
    });
  });

  it('answers malformed JSON with a 400 problem carrying the request id and no stack trace', async () => {
    const res = await call('POST', '/v1/auth/signup', {
      rawBody: '{"tenantName": "x", "email": ',
      headers: { 'x-request-id': 'req-malformed-1' },
    });
    const body = await expectProblem(res, 400);
    expect(body.requestId).toBe('req-malformed-1');
    expect(JSON.stringify(body)).not.toMatch(/\bat\s+\S+\s*\(|\.ts:\d+|\.js:\d+|SyntaxError/);
  });

  it('refuses a short password and a bad email with field errors', async () => {
    const res = await call('POST', '/v1/auth/signup', {
      body: { tenantName: 'Short', email: 'not-an-email', password: 'short' },
    });
    const body = await expectProblem(res, 400);
    const paths = (body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['email', 'password']);
  });
});

describe('login', () => {
  it('gives an unknown email and a wrong password the same answer', async () => {
    const ip = freshIp();
    const wrong = await call('POST', '/v1/auth/login', {
      body: { email: a.users.owner.email, password: 'wrong-password!' },
      ip,
    });
    const unknown = await call('POST', '/v1/auth/login', {
      body: { email: `nobody-${crypto.randomUUID()}@example.test`, password: 'wrong-password!' },
      ip,
    });
    const w = await expectProblem(wrong, 401);
    const u = await expectProblem(unknown, 401);
    expect({ ...w, requestId: '' }).toEqual({ ...u, requestId: '' });
  });

  it('picks the oldest membership without a tenant, and the named tenant with one', async () => {
    const email = `multi-${crypto.randomUUID().slice(0, 6)}@example.test`;
    const older = await signup('Multi One', email, PASSWORD);
    const newer = await signup('Multi Two', email, PASSWORD);
    const ip = freshIp();
    const plain = await login(email, PASSWORD, ip);
    const named = await login(email, PASSWORD, ip, newer.tenant.slug);
    const meOf = async (token: string) =>
      (await json<{ tenant: { id: string } }>(await call('GET', '/v1/me', { bearer: token }))).tenant.id;
    expect(await meOf(plain.accessToken)).toBe(older.tenant.id);
    expect(await meOf(named.accessToken)).toBe(newer.tenant.id);
  });

  it('answers the 11th failed login for one email within 15 minutes with 429 and Retry-After', async () => {
    const email = `throttled-${crypto.randomUUID().slice(0, 6)}@example.test`;
    await signup('Throttled', email, PASSWORD);
    for (let i = 0; i < 10; i++) {
      // A different address each time: only the per-email counter can trip.
      const res = await call('POST', '/v1/auth/login', {
        body: { email, password: `wrong-${i}-password` },
        ip: freshIp(),
      });
      await expectProblem(res, 401, `attempt ${i + 1}`);
    }
    const eleventh = await call('POST', '/v1/auth/login', { body: { email, password: PASSWORD }, ip: freshIp() });
    await expectProblem(eleventh, 429);
    const retryAfter = Number(eleventh.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Case variants share the counter.
    const upper = await call('POST', '/v1/auth/login', {
      body: { email: email.toUpperCase(), password: PASSWORD },
      ip: freshIp(),
    });
    expect(upper.status).toBe(429);
  });

  it('throttles one client address across many emails', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) {
      const res = await call('POST', '/v1/auth/login', {
        body: { email: `spray-${i}-${crypto.randomUUID()}@example.test`, password: 'whatever-password' },
        ip,
      });
      await expectProblem(res, 401);
    }
    const res = await call('POST', '/v1/auth/login', {
      body: { email: a.users.owner.email, password: a.password },
      ip,
    });
    await expectProblem(res, 429);
    // The refused attempt did not count against the victim's email: from elsewhere they still sign in.
    await login(a.users.owner.email, a.password, freshIp(), a.slug);
  });

  it('forgets failures older than the window', async () => {
    const stub = env.LOGIN_THROTTLE.getByName(`email:window-${crypto.randomUUID()}@example.test`);
    for (let i = 0; i < 10; i++) expect((await stub.acquire()).ok).toBe(true);
    expect((await stub.acquire()).ok).toBe(false);
    await runInDurableObject(stub, (_instance: LoginThrottle, state) => {
      state.storage.sql.exec('UPDATE attempts SET at = at - ?', 15 * 60 * 1000 + 1);
    });
    expect(await stub.failures()).toBe(0);
    expect((await stub.acquire()).ok).toBe(true);
  });
});

describe('refresh tokens', () => {
  it('rotates on every use, and reuse of a rotated token revokes the whole family', async () => {
    const ip = freshIp();
    const first = await login(a.users.member.email, a.password, ip, a.slug);
    const r1 = await call('POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(r1.status).toBe(200);
    const second = await json<{ accessToken: string; refreshToken: string }>(r1);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await call('GET', '/v1/me', { bearer: second.accessToken })).status).toBe(200);

    // The stolen (already rotated) token is replayed: refused, and the live descendant dies with it.
    await expectProblem(await call('POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } }), 401);
    await expectProblem(await call('POST', '/v1/auth/refresh', { body: { refreshToken: second.refreshToken } }), 401);

    // Another session of the same user (another family) is untouched.
    const other = await login(a.users.member.email, a.password, ip, a.slug);
    expect((await call('POST', '/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(200);

    const log = await audit(a.users.owner.token);
    expect(log.data.some((e) => e.action === 'auth.refresh_reuse' && e.targetId === a.users.member.id)).toBe(true);
  });

  it('logout revokes the refresh token and always answers 204', async () => {
    const session = await login(a.users.viewer.email, a.password, freshIp(), a.slug);
    const out = await call('POST', '/v1/auth/logout', { body: { refreshToken: session.refreshToken } });
    expect(out.status).toBe(204);
    await expectProblem(await call('POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }), 401);
    expect((await call('POST', '/v1/auth/logout', { body: { refreshToken: session.refreshToken } })).status).toBe(204);
    expect((await call('POST', '/v1/auth/logout', { body: { refreshToken: 'psr_unknown' } })).status).toBe(204);
  });
});

describe('users and roles', () => {
  it('keeps admins away from owners and stops self-escalation', async () => {
    const asAdmin = { bearer: a.users.admin.token };
    await expectProblem(
      await call('POST', '/v1/users', {
        ...asAdmin,
        body: { email: `o-${crypto.randomUUID()}@x.test`, password: PASSWORD, role: 'owner' },
      }),
      403,
    );
    await expectProblem(
      await call('PATCH', `/v1/users/${a.users.owner.id}`, { ...asAdmin, body: { role: 'viewer' } }),
      403,
    );
    await expectProblem(await call('DELETE', `/v1/users/${a.users.owner.id}`, asAdmin), 403);
    await expectProblem(
      await call('PATCH', `/v1/users/${a.users.admin.id}`, { ...asAdmin, body: { role: 'owner' } }),
      403,
    );
  });

  it('never removes or demotes the last owner, and applies role changes at once', async () => {
    const t = await signup('Owners', `solo-${crypto.randomUUID().slice(0, 6)}@example.test`, PASSWORD);
    const asOwner = { bearer: t.accessToken };
    await expectProblem(await call('PATCH', `/v1/users/${t.user.id}`, { ...asOwner, body: { role: 'admin' } }), 409);
    await expectProblem(await call('DELETE', `/v1/users/${t.user.id}`, asOwner), 409);

    const second = await json<{ id: string }>(
      await call('POST', '/v1/users', {
        ...asOwner,
        body: { email: `co-${crypto.randomUUID()}@x.test`, password: PASSWORD, role: 'owner' },
      }),
    );
    const demoted = await call('PATCH', `/v1/users/${t.user.id}`, { ...asOwner, body: { role: 'member' } });
    expect(await json(demoted)).toMatchObject({ role: 'member' });
    // The old token still says owner, but the role is re-read on every request.
    await expectProblem(await call('GET', '/v1/users', asOwner), 403);
    expect(second.id).toBeTruthy();
  });

  it('refuses a duplicate email with 409 and ends a deleted user’s access at once', async () => {
    const asOwner = { bearer: a.users.owner.token };
    await expectProblem(
      await call('POST', '/v1/users', {
        ...asOwner,
        body: { email: a.users.member.email, password: PASSWORD, role: 'viewer' },
      }),
      409,
    );
    const email = `leaver-${crypto.randomUUID().slice(0, 6)}@example.test`;
    const created = await json<{ id: string }>(
      await call('POST', '/v1/users', { ...asOwner, body: { email, password: PASSWORD, role: 'member' } }),
    );
    const session = await login(email, PASSWORD, freshIp(), a.slug);
    expect((await call('GET', '/v1/me', { bearer: session.accessToken })).status).toBe(200);
    expect((await call('DELETE', `/v1/users/${created.id}`, asOwner)).status).toBe(204);
    await expectProblem(await call('GET', '/v1/me', { bearer: session.accessToken }), 401);
    await expectProblem(await call('POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }), 401);
  });
});

describe('API keys and the gate', () => {
  it('shows the key once, never lists it, and tells the gate synchronously on create and revoke', async () => {
    const asAdmin = { bearer: a.users.admin.token };
    const res = await call('POST', '/v1/api-keys', { ...asAdmin, body: { name: 'ci', scopes: ['ingest', 'read'] } });
    expect(res.status).toBe(201);
    const created = await json<{ id: string; key: string; prefix: string; scopes: string[] }>(res);
    expect(created.key).toMatch(/^ps_live_[0-9A-Za-z]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const hash = await sha256Hex(created.key);

    const gate = env.TENANT_GATE.getByName(a.tenantId);
    // No polling: the create response is only sent after the gate has the key.
    expect(await gate.getKey(hash)).toMatchObject({ keyId: created.id, revoked: false });

    const listText = await (await call('GET', '/v1/api-keys', asAdmin)).text();
    expect(listText).toContain(created.id);
    expect(listText).not.toContain(created.key);
    expect(listText).not.toContain(hash);

    expect((await call('GET', '/v1/events', { apiKey: created.key })).status).toBe(200);
    expect((await call('DELETE', `/v1/api-keys/${created.id}`, asAdmin)).status).toBe(204);
    expect(await gate.getKey(hash)).toMatchObject({ keyId: created.id, revoked: true });

    // Refused from the next request on, at ingestion and on the query side.
    const ingest = await call('POST', '/v1/events', { apiKey: created.key, body: { source: 'stripe', status: 200 } });
    await expectProblem(ingest, 401);
    await expectProblem(await call('GET', '/v1/events', { apiKey: created.key }), 401);
    // Revoking again is idempotent.
    expect((await call('DELETE', `/v1/api-keys/${created.id}`, asAdmin)).status).toBe(204);
    const listed = await json<{ data: { id: string; revokedAt: string | null }[] }>(
      await call('GET', '/v1/api-keys', asAdmin),
    );
    expect(listed.data.find((k) => k.id === created.id)?.revokedAt).toBeTruthy();
  });
});

describe('tenant isolation', () => {
  it('shows neither tenant the other’s users, keys or audit entries, and answers 404 to its ids', async () => {
    const usersOf = async (t: TenantFixture) =>
      (
        await json<{ data: { id: string }[] }>(await call('GET', '/v1/users', { bearer: t.users.admin.token }))
      ).data.map((u) => u.id);
    const keysOf = async (t: TenantFixture) =>
      (
        await json<{ data: { id: string }[] }>(await call('GET', '/v1/api-keys', { bearer: t.users.admin.token }))
      ).data.map((k) => k.id);
    const [usersA, usersB, keysA, keysB] = await Promise.all([usersOf(a), usersOf(b), keysOf(a), keysOf(b)]);
    expect(usersA).toContain(a.users.viewer.id);
    expect(usersB).toContain(b.users.viewer.id);
    for (const u of Object.values(b.users)) expect(usersA).not.toContain(u.id);
    for (const u of Object.values(a.users)) expect(usersB).not.toContain(u.id);
    for (const k of Object.values(b.keyIds)) expect(keysA).not.toContain(k);
    for (const k of Object.values(a.keyIds)) expect(keysB).not.toContain(k);
    expect(keysA).toContain(a.keyIds.both);

    const aIds = new Set<string>([...Object.values(a.users).map((u) => u.id), ...Object.values(a.keyIds)]);
    const bIds = new Set<string>([...Object.values(b.users).map((u) => u.id), ...Object.values(b.keyIds)]);
    const [logA, logB] = await Promise.all([audit(a.users.admin.token), audit(b.users.admin.token)]);
    expect(logA.data.length).toBeGreaterThan(0);
    for (const e of logA.data) expect(bIds.has(e.targetId ?? '') || bIds.has(e.actorId ?? '')).toBe(false);
    for (const e of logB.data) expect(aIds.has(e.targetId ?? '') || aIds.has(e.actorId ?? '')).toBe(false);

    // B's ids through A's credentials: 404, and B's key keeps working.
    await expectProblem(await call('DELETE', `/v1/api-keys/${b.keyIds.both}`, { bearer: a.users.owner.token }), 404);
    await expectProblem(
      await call('PATCH', `/v1/users/${b.users.viewer.id}`, { bearer: a.users.owner.token, body: { role: 'admin' } }),
      404,
    );
    await expectProblem(await call('DELETE', `/v1/users/${b.users.viewer.id}`, { bearer: a.users.owner.token }), 404);
    expect((await call('GET', '/v1/events', { apiKey: b.keys.both })).status).toBe(200);
    expect(await usersOf(b)).toContain(b.users.viewer.id);
  });
});

describe('audit log', () => {
  it('records signup, login success and failure, user changes and key create/revoke', async () => {
    const email = `audited-${crypto.randomUUID().slice(0, 6)}@example.test`;
    const t = await signup('Audited', email, PASSWORD);
    const asOwner = { bearer: t.accessToken };
    const ip = freshIp();
    await login(email, PASSWORD, ip);
    await expectProblem(
      await call('POST', '/v1/auth/login', { body: { email, password: 'not-the-password' }, ip }),
      401,
    );
    const user = await json<{ id: string }>(
      await call('POST', '/v1/users', {
        ...asOwner,
        body: { email: `u-${email}`, password: PASSWORD, role: 'viewer' },
      }),
    );
    expect((await call('PATCH', `/v1/users/${user.id}`, { ...asOwner, body: { role: 'member' } })).status).toBe(200);
    expect((await call('DELETE', `/v1/users/${user.id}`, asOwner)).status).toBe(204);
    const key = await json<{ id: string; key: string }>(
      await call('POST', '/v1/api-keys', { ...asOwner, body: { name: 'audited', scopes: ['read'] } }),
    );
    expect((await call('DELETE', `/v1/api-keys/${key.id}`, asOwner)).status).toBe(204);

    const expected = [
      'tenant.signup',
      'auth.login',
      'auth.login_failed',
      'user.create',
      'user.update',
      'user.delete',
      'api_key.create',
      'api_key.revoke',
    ];
    // The failed-login row is written after the response (so its timing matches an unknown email's).
    const log = await waitFor(async () => {
      const body = await audit(t.accessToken);
      const actions = new Set(body.data.map((e) => e.action));
      return expected.every((x) => actions.has(x)) ? body : undefined;
    });
    expect(log.data[0]?.action).toBe('api_key.revoke');
    expect(JSON.stringify(log)).not.toContain(key.key);
    expect(JSON.stringify(log)).not.toContain(PASSWORD);

    // Pagination walks back through every row once.
    const page1 = await json<AuditBody>(await call('GET', '/v1/audit-log?limit=3', asOwner));
    expect(page1.data).toHaveLength(3);
    const page2 = await json<AuditBody>(await call('GET', `/v1/audit-log?limit=3&cursor=${page1.nextCursor}`, asOwner));
    expect(page2.data[0]).toEqual(log.data[3]);
    await expectProblem(await call('GET', '/v1/audit-log?cursor=abc', asOwner), 400);
  });
});

describe('logs', () => {
  it('never contain a password, refresh token, access token or API key', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'info').mockImplementation(capture);
    vi.spyOn(console, 'warn').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);

    const password = `Secret-${crypto.randomUUID()}`;
    const email = `logs-${crypto.randomUUID().slice(0, 6)}@example.test`;
    const t = await signup('Logs', email, password);
    const ip = freshIp();
    const session = await login(email, password, ip);
    await call('POST', '/v1/auth/login', { body: { email, password: `${password}-wrong` }, ip });
    const refreshed = await json<{ accessToken: string; refreshToken: string }>(
      await call('POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }),
    );
    // Reuse triggers the warning path, which logs about the token family.
    await call('POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    const key = await json<{ id: string; key: string }>(
      await call('POST', '/v1/api-keys', { bearer: t.accessToken, body: { name: 'logged', scopes: ['ingest'] } }),
    );
    await call('POST', '/v1/events', { apiKey: key.key, body: { source: 'stripe', status: 200 } });
    await call('GET', '/v1/me', { bearer: `${t.accessToken}x` });
    await call('GET', '/v1/me', { apiKey: key.key });

    const secrets = [
      password,
      `${password}-wrong`,
      t.accessToken,
      t.refreshToken,
      session.accessToken,
      session.refreshToken,
      refreshed.accessToken,
      refreshed.refreshToken,
      key.key,
    ];
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      for (const line of lines) expect(line.includes(secret), `secret in log line: ${line.slice(0, 120)}`).toBe(false);
    }
    // Not even the key's random part alone.
    for (const line of lines) expect(line).not.toContain(key.key.slice('ps_live_'.length));
  });
});
