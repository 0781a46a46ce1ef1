import { BodyTooLargeError, drainOrCancel, readStreamBounded } from '@pulsestream/core/bounded-gunzip';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app';
import { ApiError } from './errors';

/** Auth bodies are an email, a password and a name: a few hundred bytes. */
export const AUTH_BODY_BYTES = 8 * 1024;
/** Every other JSON body of the API (rules, keys, users, reports requests). */
export const DEFAULT_BODY_BYTES = 256 * 1024;

/** Routes that read their own bodies with their own bounds (gzip, 1 MiB, per-format limits). */
const SELF_BOUNDED = [/^\/v1\/events\/?$/, /^\/v1\/segment\//, /^\/v1\/otlp\//];

/** The most bytes a request body to `path` may have, or null when the route bounds its own. */
export function bodyLimitFor(path: string): number | null {
  if (SELF_BOUNDED.some((re) => re.test(path))) return null;
  return path.startsWith('/v1/auth/') ? AUTH_BODY_BYTES : DEFAULT_BODY_BYTES;
}

/**
 * Bounds every request body before a route parses it: a declared or actual size past the route's limit is a
 * 413, and the body read so far is kept for the route (the zod validators read it from the request as
 * usual). What was refused is drained, not cancelled, so the connection serves the next request.
 */
export function limitBodies(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = c.req.raw.body;
    const limit = bodyLimitFor(c.req.path);
    if (body === null || limit === null) return next();
    const refuse = () => new ApiError('payload_too_large', `The request body must be at most ${limit} bytes.`);
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) {
      await drainOrCancel(body.getReader(), 'body too large');
      throw refuse();
    }
    let bytes: Uint8Array;
    try {
      bytes = await readStreamBounded(body, limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw refuse();
      // The client went away mid-upload: nobody reads the answer, and it is not a server error to log.
      throw new ApiError('bad_request', 'The request body was not received in full.');
    }
    const raw = c.req.raw;
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: bytes });
    await next();
  };
}
