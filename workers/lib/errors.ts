import { describeFailure } from '@pulsestream/db/errors';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Stable error codes; the `type` URI of a problem is derived from the code. */
export const ERROR_STATUS = {
  bad_request: 400,
  malformed_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upgrade_required: 426,
  unprocessable: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  malformed_json: 'Malformed JSON',
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  upgrade_required: 'Upgrade required',
  unsupported_media_type: 'Unsupported media type',
  unprocessable: 'Unprocessable request',
  rate_limited: 'Rate limited',
  quota_exceeded: 'Quota exceeded',
  internal: 'Internal error',
  unavailable: 'Service unavailable',
};

export interface FieldError {
  path: string;
  message: string;
}

/** The one way a handler reports a client-visible failure. Thrown, and rendered once by `onError`. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, detail: string, extra?: { errors?: FieldError[]; headers?: Record<string, string> }) {
    super(ERROR_STATUS[code], { message: detail });
    this.code = code;
    this.detail = detail;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: FieldError[];
}

/** Builds an `application/problem+json` response. */
export function problemResponse(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extra?: { errors?: FieldError[]; headers?: Record<string, string> },
): Response {
  const status = ERROR_STATUS[code];
  const body: Problem = {
    type: `https://pulsestream.dev/errors/${code.replace(/_/g, '-')}`,
    title: TITLES[code],
    status,
    detail,
    requestId,
    ...(extra?.errors ? { errors: extra.errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', 'x-request-id': requestId, ...extra?.headers },
  });
}

/** Maps Hono's own HTTP exceptions (e.g. from body limit or validators) to a code. */
function codeForStatus(status: number): ErrorCode {
  const entry = Object.entries(ERROR_STATUS).find(([, s]) => s === status);
  return (entry?.[0] as ErrorCode | undefined) ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** Renders any thrown value as a problem; 5xx are logged with the request id and never echo the message. */
export function renderError(err: unknown, c: Context): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? 'unknown';
  if (err instanceof ApiError) {
    if (err.status >= 500) logServerError(c, err);
    return problemResponse(err.code, err.detail, requestId, { errors: err.errors, headers: err.headers });
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's JSON validator reports unparseable bodies as a plain 400; give them their own stable type.
    const code =
      err.status === 400 && /malformed json/i.test(err.message) ? 'malformed_json' : codeForStatus(err.status);
    const detail = code === 'malformed_json' ? 'The request body is not valid JSON.' : err.message || TITLES[code];
    return problemResponse(code, detail, requestId);
  }
  logServerError(c, err);
  return problemResponse('internal', 'An internal error occurred. Quote the request id when reporting it.', requestId);
}

function logServerError(c: Context, err: unknown): void {
  const logger = c.get('logger') as { error(msg: string, fields?: Record<string, unknown>): void } | undefined;
  // The driver's reason, not drizzle's wrapper (whose message is the whole SQL text).
  const fields = { requestId: c.get('requestId'), error: describeFailure(err) };
  if (logger) logger.error('unhandled error', fields);
  else console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', ...fields }));
}
