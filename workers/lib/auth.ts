import {
  type ApiKeyScope,
  createJwtService,
  hasRole,
  InvalidTokenError,
  isApiKeyFormat,
  type JwtService,
  type Role,
  sha256Hex,
} from '@pulsestream/core/auth';
import { findIngestKeyByHash, findUserRole, type IngestKey, touchApiKeyLastUsed } from '@pulsestream/db';
import type { MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv, Principal } from './app';
import type { Config } from './config';
import { ApiError } from './errors';
import type { Services } from './services';

const jwtServices = new WeakMap<Config, JwtService>();

/** The access-token service for this deployment's config (built once per config object). */
export function jwtService(config: Config): JwtService {
  let service = jwtServices.get(config);
  if (!service) {
    if (!config.JWT_SECRET) throw new Error('JWT_SECRET is not configured');
    service = createJwtService({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
    jwtServices.set(config, service);
  }
  return service;
}

/** The credential a request presents: `X-API-Key`, or `Authorization: Bearer <jwt | key>`. */
export function presentedCredential(c: AppContext): string | null {
  const apiKey = c.req.header('x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = c.req.header('authorization');
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw new ApiError('unauthorized', 'The Authorization header must be "Bearer <token>".');
  return match[1];
}

export interface AuthOptions {
  /** Which kinds of credential the route accepts. */
  allow: ReadonlyArray<'user' | 'api_key'>;
  /** The scope an API key needs for this route. */
  scope?: ApiKeyScope;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const unauthorized = (detail = 'A valid credential is required.') => new ApiError('unauthorized', detail);

/**
 * `last_used_at` of a key used on the query routes is written at most this often: listings show it to the
 * minute, and a write on every request would add one to each read-key request.
 */
const LAST_USED_RESOLUTION_SECONDS = 60;

/**
 * Records that a known, unrevoked key was presented, when the time read with the key is stale. Awaited in
 * the request (the request's connection is closed when it ends, so `waitUntil` would race it); a failure
 * only costs the timestamp, so it is logged and never fails the request. Ingest keys are recorded by the
 * TenantGate instead, with no write on the ingest path.
 */
async function noteKeyUse(services: Services, key: IngestKey): Promise<void> {
  if (key.lastUsedAt && Date.now() - key.lastUsedAt.getTime() < LAST_USED_RESOLUTION_SECONDS * 1000) return;
  try {
    await touchApiKeyLastUsed(services.db(), key.keyId, LAST_USED_RESOLUTION_SECONDS);
  } catch (err) {
    services.logger.warn('auth: recording the key use failed', {
      key: key.keyId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * Establishes `principal` from a verified credential. The tenant always comes from the credential, never
 * from the path or body. Users are re-checked against the database so a deleted user or a changed role
 * takes effect at once, not when the token expires.
 */
export function authenticate(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const credential = presentedCredential(c);
    if (!credential) throw unauthorized();
    const services = c.get('services');
    let principal: Principal;
    if (isApiKeyFormat(credential)) {
      if (!options.allow.includes('api_key')) throw unauthorized('This route needs a user access token.');
      const key = await findIngestKeyByHash(services.db(), await sha256Hex(credential));
      if (!key || key.revoked) throw unauthorized('The API key is unknown or revoked.');
      // Counted as used even when refused for its scope: the key is live somewhere, which is what an admin
      // deciding whether to revoke it needs to know.
      await noteKeyUse(services, key);
      if (options.scope && !key.scopes.includes(options.scope)) {
        throw new ApiError('forbidden', `The API key lacks the "${options.scope}" scope.`);
      }
      principal = { tenantId: key.tenantId, kind: 'api_key', id: key.keyId, scopes: key.scopes };
    } else {
      if (!options.allow.includes('user')) throw unauthorized('This route needs an API key.');
      let claims: Awaited<ReturnType<JwtService['verify']>>;
      try {
        claims = await jwtService(services.config).verify(credential);
      } catch (err) {
        if (err instanceof InvalidTokenError) {
          c.get('logger').info('auth: token refused', { reason: err.reason });
          throw unauthorized('The access token is invalid or expired.');
        }
        throw err;
      }
      // Ids go into uuid columns: a signed but odd-shaped claim must be a 401, never a database error.
      if (!UUID_RE.test(claims.tid) || !UUID_RE.test(claims.sub)) {
        throw unauthorized('The access token is invalid or expired.');
      }
      const role = await findUserRole(services.db(), claims.tid, claims.sub);
      if (!role) throw unauthorized('The access token is invalid or expired.');
      principal = { tenantId: claims.tid, kind: 'user', id: claims.sub, role };
    }
    c.set('principal', principal);
    await next();
  };
}

/** Refuses (403) a user below `role`. API keys carry scopes, not roles, so they never pass a role check. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw unauthorized();
    if (principal.kind !== 'user' || !principal.role || !hasRole(principal.role, role)) {
      throw new ApiError('forbidden', `This action needs the ${role} role or higher.`);
    }
    await next();
  };
}

/** The authenticated principal; throws if a route forgot its `authenticate` middleware. */
export function principalOf(c: AppContext): Principal {
  const principal = c.get('principal');
  if (!principal) throw new Error('route is missing the authenticate middleware');
  return principal;
}
