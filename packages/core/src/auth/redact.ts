/**
 * Credential scrubbing for anything that may be logged. The logger passes every payload
 * through {@link redactSecrets}, so a credential that slips into a log call is caught here
 * rather than stored in a log pipeline we do not control.
 */

/** Replacement text for every redacted value. */
export const REDACTED = '[redacted]';

/** Keys whose values are always replaced, whatever the value looks like. */
export const SENSITIVE_KEY_RE = /password|token|secret|authorization|api[-_]?key|cookie/i;

// Deep enough for any sane log payload; beyond it we stop instead of risking a stack overflow.
const MAX_DEPTH = 32;

interface StringRule {
  pattern: RegExp;
  replacement: string;
  /** Words one of which any match of `pattern` contains (case-insensitively): the rule's pre-test. */
  needs: RegExp;
}

// Matched anywhere inside a string, so credentials embedded in messages, URLs or headers
// dumped as text are caught too. Order matters only for readability of the result.
const STRING_RULES: readonly StringRule[] = [
  // `Bearer <credential>` / `Basic <credential>`: the value may not match any known format.
  // Case-sensitive `Basic` and an 8-char minimum keep prose such as "basic plan" readable;
  // erring towards redaction is preferred otherwise.
  {
    pattern: /\b([Bb]earer|BEARER|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*/g,
    replacement: `$1 ${REDACTED}`,
    needs: /bearer|basic/,
  },
  // Query-string or form parameters named like secrets: ?token=…, refresh_token=…, api_key=…
  {
    pattern: /([A-Za-z0-9_-]*(?:password|token|secret|api[-_]?key)[A-Za-z0-9_-]*=)[^&\s"';,]+/gi,
    replacement: `$1${REDACTED}`,
    needs: /password|token|secret|api[-_]?key/,
  },
  { pattern: /ps_live_[0-9A-Za-z]+/g, replacement: REDACTED, needs: /ps_live_/ },
  { pattern: /psr_[A-Za-z0-9_-]+/g, replacement: REDACTED, needs: /psr_/ },
  // Live tickets (`live-ticket.ts`): `pst_`, the tenant as 32 hex digits, `_`, the secret. They travel in a
  // URL (`/v1/live?ticket=…`), which is what a log line is most likely to carry.
  { pattern: /pst_[0-9a-f]{32}_[A-Za-z0-9_-]+/g, replacement: REDACTED, needs: /pst_/ },
  // Compact JWS/JWT: base64url JSON header (always starts with `eyJ`), payload, signature
  // (possibly empty, as with `alg: none`).
  { pattern: /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, replacement: REDACTED, needs: /eyJ/ },
];

/**
 * A necessary condition for any of {@link STRING_RULES} to match: the words the rules need, in one pattern
 * (case-insensitive where some rules are not, so it only ever lets more text through to the rules). Most logged
 * strings (paths, methods, ids) contain none, and one test is cheaper than running every rule.
 */
const MAY_HOLD_CREDENTIAL = new RegExp(STRING_RULES.map((r) => r.needs.source).join('|'), 'i');

/** Replaces every credential-looking substring of `text` with `[redacted]`. */
export function redactString(text: string): string {
  return MAY_HOLD_CREDENTIAL.test(text) ? applyStringRules(text) : text;
}

/** Every rule of {@link STRING_RULES}, without the pre-test (exported for the property test that they agree). */
export function applyStringRules(text: string): string {
  let out = text;
  for (const { pattern, replacement } of STRING_RULES) out = out.replace(pattern, replacement);
  return out;
}

// defineProperty rather than assignment so a `__proto__` key in the input stays a plain key
// instead of changing the copy's prototype.
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function putEntry(target: Record<string, unknown>, key: string, value: unknown, walk: (v: unknown) => unknown): void {
  put(target, redactString(key), SENSITIVE_KEY_RE.test(key) ? REDACTED : walk(value));
}

function walkValue(value: unknown, ancestors: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';

  const walk = (child: unknown): unknown => walkValue(child, ancestors, depth + 1);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map(walk);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof URL) return redactString(value.href);
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;

    const out: Record<string, unknown> = {};
    if (typeof Headers !== 'undefined' && value instanceof Headers) {
      value.forEach((headerValue, name) => {
        putEntry(out, name, headerValue, walk);
      });
      return out;
    }
    if (typeof Request !== 'undefined' && value instanceof Request) {
      put(out, 'method', value.method);
      put(out, 'url', redactString(value.url));
      put(out, 'headers', walk(value.headers));
      return out;
    }
    if (value instanceof Map) {
      for (const [key, entry] of value) putEntry(out, String(key), entry, walk);
      return out;
    }
    if (value instanceof Set) return Array.from(value, walk);
    if (value instanceof Error) {
      // message, stack and cause are not enumerable, so a plain copy would drop them.
      put(out, 'name', value.name);
      put(out, 'message', redactString(value.message));
      if (typeof value.stack === 'string') put(out, 'stack', redactString(value.stack));
      if (value.cause !== undefined) put(out, 'cause', walk(value.cause));
    }
    for (const key of Object.keys(value)) {
      let entry: unknown;
      try {
        entry = (value as Record<string, unknown>)[key];
      } catch {
        entry = '[unreadable]';
      }
      putEntry(out, key, entry, walk);
    }
    return out;
  } finally {
    // Only ancestors count as cycles; the same object referenced twice is copied twice.
    ancestors.delete(value);
  }
}

/**
 * Deep copy of `value` with credentials replaced by `[redacted]`: values under keys that name
 * secrets (password, token, secret, authorization, api key, cookie) and any substring shaped
 * like an API key (`ps_live_…`), refresh token (`psr_…`), JWT or bearer credential. Never
 * mutates the input. Errors, Headers, Requests, Maps, Sets and Dates become plain JSON-friendly
 * values; cycles become `[circular]`.
 */
export function redactSecrets(value: unknown): unknown {
  return walkValue(value, new WeakSet(), 0);
}
