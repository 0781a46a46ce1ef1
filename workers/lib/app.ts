import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { limitBodies } from './body-limit';
import { parseConfig } from './config';
import { ApiError, problemResponse, renderError } from './errors';
import { createLogger, type Logger } from './logger';
import { createServices, type Services } from './services';

/** Who is calling, as established by the auth middleware from a verified credential. */
export interface Principal {
  tenantId: string;
  kind: 'user' | 'api_key';
  /** user id or API key id */
  id: string;
  role?: 'owner' | 'admin' | 'member' | 'viewer';
  scopes?: string[];
}

export interface Vars {
  requestId: string;
  logger: Logger;
  services: Services;
  principal?: Principal;
}

export type AppEnv = { Bindings: Env; Variables: Vars };
export type App = OpenAPIHono<AppEnv>;
export type AppContext = Context<AppEnv>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Sets the headers every answer of the Worker carries. Hono's `c.header()` after the handler has answered
 * copies the whole Response for each header (its headers may be immutable); a Response built in the Worker
 * has mutable headers, so they are set in place, and only an immutable one (a fetched response) is copied,
 * once.
 */
function setResponseHeaders(c: Context<AppEnv>, requestId: string, production: boolean): void {
  let headers = c.res.headers;
  try {
    headers.set('x-request-id', requestId);
  } catch {
    const copy = new Response(c.res.body, c.res);
    c.res = undefined;
    c.res = copy;
    headers = copy.headers;
    headers.set('x-request-id', requestId);
  }
  headers.set('x-content-type-options', 'nosniff');
  if (production) headers.set('strict-transport-security', HSTS);
}

/** Creates a router with the shared validation hook, so every route group reports errors alike. */
export function newRouter(): App {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const errors = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        const where = result.target === 'json' ? 'request body' : `request ${result.target}`;
        throw new ApiError('validation_failed', `The ${where} is invalid.`, { errors });
      }
    },
  });
}

/**
 * The app factory: request ids, one structured log line per request, per-request services, a single
 * problem+json error handler, a problem+json 404, and the OpenAPI document.
 */
export function newApp(): App {
  const app = newRouter();

  app.use('*', async (c, next) => {
    const started = Date.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    const config = parseConfig(c.env);
    const logger = createLogger(config.LOG_LEVEL, { requestId });
    c.set('logger', logger);
    const services = createServices(config, logger);
    c.set('services', services);
    try {
      await next();
    } finally {
      // Closing here (not in waitUntil) so the sockets are released before the request ends.
      // Most requests never open the database: then there is nothing to wait for.
      if (services.opened) {
        await services.close().catch((err: Error) => logger.warn('database close failed', { error: err.message }));
      }
      // The dashboard's static files get theirs from packages/dashboard/public/_headers; these cover the
      // Worker's own answers. HSTS only in production: wrangler dev and tests are plain http.
      setResponseHeaders(c, requestId, config.ENVIRONMENT === 'production');
      // The fields (the path is parsed from the URL) are only gathered when the line is written.
      if (logger.enabled('info')) {
        logger.info('request', {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          durationMs: Date.now() - started,
          tenant: c.get('principal')?.tenantId ?? null,
        });
      }
    }
  });

  app.use('*', limitBodies());

  app.onError((err, c) => renderError(err, c));
  // Rendered directly rather than thrown: an Error captures a stack trace, which is most of the cost of a
  // not-found answer under `wrangler dev` (its inspector is attached to the isolate).
  app.notFound((c) => problemResponse('not_found', `No route for ${c.req.method} ${c.req.path}.`, c.get('requestId')));
  return app;
}
