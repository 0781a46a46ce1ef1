/**
 * What went wrong in Postgres, read from under drizzle's wrapper. drizzle wraps a failed query in an error
 * whose message is the SQL text; the driver's error (with the SQLSTATE `code`) is its `cause`. Reasons
 * shown to people (dead letters, logs) must be the driver's message, never the SQL.
 */
export interface PostgresFailure {
  /** SQLSTATE, e.g. `22P05`; null when the failure never reached the server (network, pool). */
  code: string | null;
  message: string;
}

/** The innermost error that carries a SQLSTATE code, or the innermost error of the chain. */
export function postgresFailureOf(err: unknown): PostgresFailure {
  let current: unknown = err;
  let innermost: unknown = err;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      const detail = (current as { detail?: unknown }).detail;
      const message = (current as Error).message ?? String(current);
      // "Failing row contains (…)" repeats the row's values: a reason names the fault, not the data.
      const useful = typeof detail === 'string' && detail !== '' && !detail.startsWith('Failing row contains');
      return { code, message: useful ? `${message} (${detail})` : message };
    }
    innermost = current;
    current = (current as { cause?: unknown }).cause;
  }
  return { code: null, message: messageOf(innermost) };
}

/**
 * The message of anything thrown. The driver's WebSocket rejects with an `ErrorEvent`, which is not an `Error`
 * and stringifies as "[object ErrorEvent]": its `message`, or the `error` it carries, says what happened.
 * Any other object is described by its JSON (bounded): "[object Object]" says nothing.
 */
function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'object' && value !== null) {
    const { message, error, type } = value as { message?: unknown; error?: unknown; type?: unknown };
    if (typeof message === 'string' && message !== '') return message;
    if (error instanceof Error) return error.message;
    if (typeof type === 'string' && type !== '') return `${value.constructor?.name ?? 'Event'}: ${type}`;
    return objectText(value);
  }
  return String(value);
}

const MAX_OBJECT_TEXT = 500;

/** An object's JSON, cut to a bound; its tag when JSON says nothing (a cycle, `{}`). Never throws. */
function objectText(value: object): string {
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== '{}') return json.slice(0, MAX_OBJECT_TEXT);
  } catch {
    // a cycle or a BigInt: fall back to the tag
  }
  return Object.prototype.toString.call(value);
}

/**
 * SQLSTATE classes that a row's own content causes, so retrying the same rows fails the same way:
 * 22 data exception (bad UTF-8, NUL, out of range), 23 integrity constraint, 54 program limit (row too big).
 * Anything else (connection, server shutdown, serialization) is an outage and worth retrying as is.
 */
const DATA_ERROR_CLASSES = new Set(['22', '23', '54']);

/** True when the failure is caused by the data written, not by the database being unavailable. */
export function isDataError(err: unknown): boolean {
  const { code } = postgresFailureOf(err);
  return code !== null && DATA_ERROR_CLASSES.has(code.slice(0, 2));
}

/** `SQLSTATE: message`, the reason to record for a failed write. */
export function describeFailure(err: unknown): string {
  const { code, message } = postgresFailureOf(err);
  return code === null ? message : `${code}: ${message}`;
}
