/**
 * THE TABLE OF TENANT-SCOPED ROUTES. Every route the app registers must be listed here, or in
 * PUBLIC_ROUTES / SEPARATELY_AUTHENTICATED_ROUTES below; `route-security.integration.test.ts` fails otherwise.
 *
 * Adding a route: append one row with its method, Hono path (`:id`, not `{id}`), the lowest user role that may
 * call it (null when users are not accepted), the credential kinds it accepts, the API-key scope it needs,
 * and — when the path has parameters — a `params` factory that creates a resource in the given tenant through
 * the API and returns the path parameters. `request` supplies a body/query that an allowed caller would get a
 * non-error answer for, so the positive control proves the refusals come from auth, not from bad input.
 */
import type { Role } from '@pulsestream/core/auth';
import { recordAlertTransitions } from '@pulsestream/db';
import { expect } from 'vitest';
import { withDb } from '../helpers/db';
import type { TenantFixture } from './fixtures';
import { call, json } from './helpers';

export type CredentialKind = 'user' | 'api_key';

export interface RequestParts {
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface ProtectedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Hono path template, e.g. `/v1/users/:id`. */
  path: string;
  /** Lowest user role allowed; null when the route takes no user tokens (API-key only). */
  minRole: Role | null;
  accepts: readonly CredentialKind[];
  /** The scope an API key needs (when `accepts` includes `api_key`). */
  scope?: 'ingest' | 'read';
  /** Required when the path has parameters: makes a resource in tenant `t`, returns the path parameters. */
  params?: (t: TenantFixture) => Promise<Record<string, string>>;
  /** A well-formed request for this route. */
  request?: (t: TenantFixture) => RequestParts;
}

/** Routes that take no credential at all. */
export const PUBLIC_ROUTES: readonly string[] = [
  'GET /health',
  'GET /openapi.json',
  'GET /docs',
  'POST /v1/auth/signup',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
];

/** Routes whose credential is not a token or key (each must be covered by its own tests; say where). */
export const SEPARATELY_AUTHENTICATED_ROUTES: Readonly<Record<string, string>> = {
  // A single-use ticket from POST /v1/live/ticket, checked by the tenant's hub: test/integration/live.integration.test.ts
  'GET /v1/live': 'live ticket',
  // A signed URL (exp + sig, HMAC over report, tenant, expiry) from GET /v1/reports/:id; tampered, expired and
  // foreign signatures are refused in test/integration/reports.integration.test.ts
  'GET /v1/reports/:id/download': 'signed download URL',
};

const unique = () => crypto.randomUUID().slice(0, 8);

async function newUser(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/users', {
    bearer: t.users.owner.token,
    body: { email: `target-${unique()}@example.test`, password: t.password, role: 'viewer' },
  });
  expect(res.status, 'fixture: create user').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newKey(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/api-keys', {
    bearer: t.users.owner.token,
    body: { name: `target-${unique()}`, scopes: ['read'] },
  });
  expect(res.status, 'fixture: create key').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newReport(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/reports', {
    bearer: t.users.owner.token,
    body: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'csv' },
  });
  expect(res.status, 'fixture: create report').toBe(202);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newReportSchedule(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/report-schedules', {
    bearer: t.users.owner.token,
    body: { cron: '0 7 * * *', format: 'parquet', range: 'last_24h' },
  });
  expect(res.status, 'fixture: create report schedule').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newChannel(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/channels', {
    bearer: t.users.owner.token,
    body: { type: 'email', name: `target-${unique()}`, config: { to: 'ops@example.test' } },
  });
  expect(res.status, 'fixture: create channel').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newRule(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/alert-rules', { bearer: t.users.owner.token, body: RULE_BODY() });
  expect(res.status, 'fixture: create rule').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

async function newSilence(t: TenantFixture): Promise<Record<string, string>> {
  const res = await call('POST', '/v1/silences', { bearer: t.users.owner.token, body: SILENCE_BODY() });
  expect(res.status, 'fixture: create silence').toBe(201);
  return { id: (await json<{ id: string }>(res)).id };
}

/** An open incident: rules fire only from traffic, so the fixture writes the row the hub would write. */
async function newAlert(t: TenantFixture): Promise<Record<string, string>> {
  const alertId = crypto.randomUUID();
  await withDb((db) =>
    recordAlertTransitions(db, t.tenantId, [
      {
        transitionId: crypto.randomUUID(),
        alertId,
        ruleId: crypto.randomUUID(),
        ruleName: 'fixture',
        severity: 'warning',
        source: null,
        metric: 'error_rate',
        from: 'pending',
        to: 'firing',
        at: new Date(),
        value: 0.5,
        threshold: 0.2,
        silenced: false,
      },
    ]),
  );
  return { id: alertId };
}

const RULE_BODY = () => ({
  name: `rule-${unique()}`,
  metric: 'error_rate',
  window: '5m',
  condition: { op: '>', threshold: 0.2 },
  for: '2m',
  severity: 'warning',
});
const SILENCE_BODY = () => ({
  matchers: { severity: 'info' },
  startsAt: new Date().toISOString(),
  endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  comment: 'security suite',
});
const MEMBER_USER_ONLY: Pick<ProtectedRoute, 'minRole' | 'accepts'> = { minRole: 'member', accepts: ['user'] };
const VIEWER_USER_ONLY: Pick<ProtectedRoute, 'minRole' | 'accepts'> = { minRole: 'viewer', accepts: ['user'] };

const READ: Pick<ProtectedRoute, 'minRole' | 'accepts' | 'scope'> = {
  minRole: 'viewer',
  accepts: ['user', 'api_key'],
  scope: 'read',
};
const ADMIN_USER_ONLY: Pick<ProtectedRoute, 'minRole' | 'accepts'> = { minRole: 'admin', accepts: ['user'] };

export const PROTECTED_ROUTES: readonly ProtectedRoute[] = [
  // identity and tenancy
  { method: 'GET', path: '/v1/me', minRole: 'viewer', accepts: ['user'] },
  { method: 'GET', path: '/v1/users', ...ADMIN_USER_ONLY },
  {
    method: 'POST',
    path: '/v1/users',
    ...ADMIN_USER_ONLY,
    request: (t) => ({ body: { email: `new-${unique()}@example.test`, password: t.password, role: 'viewer' } }),
  },
  {
    method: 'PATCH',
    path: '/v1/users/:id',
    ...ADMIN_USER_ONLY,
    params: newUser,
    request: () => ({ body: { role: 'member' } }),
  },
  { method: 'DELETE', path: '/v1/users/:id', ...ADMIN_USER_ONLY, params: newUser },
  { method: 'GET', path: '/v1/api-keys', ...ADMIN_USER_ONLY },
  {
    method: 'POST',
    path: '/v1/api-keys',
    ...ADMIN_USER_ONLY,
    request: () => ({ body: { name: `k-${unique()}`, scopes: ['ingest'] } }),
  },
  { method: 'DELETE', path: '/v1/api-keys/:id', ...ADMIN_USER_ONLY, params: newKey },
  { method: 'GET', path: '/v1/audit-log', ...ADMIN_USER_ONLY },

  // ingestion and query
  {
    method: 'POST',
    path: '/v1/events',
    minRole: null,
    accepts: ['api_key'],
    scope: 'ingest',
    request: () => ({ body: { source: 'security-suite', endpoint: 'GET /x', status: 200, latencyMs: 1 } }),
  },
  { method: 'GET', path: '/v1/events', ...READ },
  {
    method: 'POST',
    path: '/v1/otlp/v1/traces',
    minRole: null,
    accepts: ['api_key'],
    scope: 'ingest',
    request: () => ({ body: { resourceSpans: [] } }),
  },
  ...(['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias'] as const).map(
    (kind): ProtectedRoute => ({
      method: 'POST',
      path: `/v1/segment/v1/${kind}`,
      minRole: null,
      accepts: ['api_key'],
      scope: 'ingest',
      request: () => {
        const message = { type: 'track', event: 'Security Suite', userId: 'u', messageId: `sec-${unique()}` };
        return {
          body: kind === 'batch' ? { batch: [message] } : { ...message, type: kind === 'track' ? 'track' : kind },
        };
      },
    }),
  ),
  { method: 'GET', path: '/v1/metrics/timeseries', ...READ },
  { method: 'GET', path: '/v1/metrics/summary', ...READ },
  { method: 'GET', path: '/v1/metrics/prometheus', ...READ },
  { method: 'GET', path: '/v1/usage', ...READ },

  // live
  { method: 'POST', path: '/v1/live/ticket', minRole: 'viewer', accepts: ['user'] },

  // reports
  { method: 'GET', path: '/v1/reports', ...READ },
  {
    method: 'POST',
    path: '/v1/reports',
    minRole: 'member',
    accepts: ['user'],
    request: () => ({ body: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z', format: 'csv' } }),
  },
  { method: 'GET', path: '/v1/reports/:id', ...READ, params: newReport },
  { method: 'GET', path: '/v1/report-schedules', ...READ },
  {
    method: 'POST',
    path: '/v1/report-schedules',
    minRole: 'member',
    accepts: ['user'],
    request: () => ({ body: { cron: '*/5 * * * *', format: 'csv', range: 'last_1h' } }),
  },
  { method: 'GET', path: '/v1/report-schedules/:id', ...READ, params: newReportSchedule },
  {
    method: 'PATCH',
    path: '/v1/report-schedules/:id',
    minRole: 'member',
    accepts: ['user'],
    params: newReportSchedule,
    request: () => ({ body: { enabled: false } }),
  },
  {
    method: 'DELETE',
    path: '/v1/report-schedules/:id',
    minRole: 'member',
    accepts: ['user'],
    params: newReportSchedule,
  },
  // alerting
  { method: 'GET', path: '/v1/alert-rules', ...VIEWER_USER_ONLY },
  { method: 'POST', path: '/v1/alert-rules', ...MEMBER_USER_ONLY, request: () => ({ body: RULE_BODY() }) },
  { method: 'GET', path: '/v1/alert-rules/:id', ...VIEWER_USER_ONLY, params: newRule },
  {
    method: 'PATCH',
    path: '/v1/alert-rules/:id',
    ...MEMBER_USER_ONLY,
    params: newRule,
    request: () => ({ body: { severity: 'critical' } }),
  },
  { method: 'DELETE', path: '/v1/alert-rules/:id', ...MEMBER_USER_ONLY, params: newRule },
  { method: 'GET', path: '/v1/alerts', ...READ },
  { method: 'GET', path: '/v1/alerts/:id', ...READ, params: newAlert },
  { method: 'POST', path: '/v1/alerts/:id/ack', ...MEMBER_USER_ONLY, params: newAlert },
  { method: 'GET', path: '/v1/silences', ...VIEWER_USER_ONLY },
  { method: 'POST', path: '/v1/silences', ...MEMBER_USER_ONLY, request: () => ({ body: SILENCE_BODY() }) },
  { method: 'DELETE', path: '/v1/silences/:id', ...MEMBER_USER_ONLY, params: newSilence },
  { method: 'GET', path: '/v1/channels', ...VIEWER_USER_ONLY },
  {
    method: 'POST',
    path: '/v1/channels',
    ...MEMBER_USER_ONLY,
    request: () => ({ body: { type: 'email', name: `c-${unique()}`, config: { to: 'a@example.test' } } }),
  },
  { method: 'DELETE', path: '/v1/channels/:id', ...MEMBER_USER_ONLY, params: newChannel },
  { method: 'POST', path: '/v1/channels/:id/test', ...MEMBER_USER_ONLY, params: newChannel },

  // operations
  { method: 'GET', path: '/v1/pipeline/dead-letters', ...ADMIN_USER_ONLY },
  { method: 'POST', path: '/v1/pipeline/redrive', ...ADMIN_USER_ONLY },
];

/** `METHOD /path` key used to compare the table with the app's registered routes. */
export function routeKey(route: { method: string; path: string }): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}
