/**
 * How an outbound HTTP call is named: which provider (the `source`) and which operation (the `endpoint`,
 * `METHOD /path` with ids replaced by `:id`). Shared by the SDK's `instrumentFetch` and the server's
 * OpenTelemetry ingest, so a call recorded either way lands in the same series. No dependencies.
 */

/** Hosts whose provider name is not simply the host. */
export const KNOWN_SOURCES: ReadonlyMap<string, string> = new Map([
  ['api.stripe.com', 'stripe'],
  ['files.stripe.com', 'stripe'],
  ['api.twilio.com', 'twilio'],
  ['api.openai.com', 'openai'],
  ['api.anthropic.com', 'anthropic'],
  ['api.github.com', 'github'],
  ['api.sendgrid.com', 'sendgrid'],
  ['slack.com', 'slack'],
  ['api.mailgun.net', 'mailgun'],
  ['api.shopify.com', 'shopify'],
]);

/**
 * A caller's own host → source mapping. Keys are exact host names (`api.acme.dev`) or suffix patterns
 * (`*.acme.dev`, which matches any sub-domain but not `acme.dev` itself).
 */
export type SourceMap = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

function lookup(map: SourceMap, key: string): string | undefined {
  if (map instanceof Map) return map.get(key);
  // A plain object may come from user code; only its own keys count (`constructor` is a valid host label).
  return Object.hasOwn(map, key) ? (map as Record<string, string>)[key] : undefined;
}

/**
 * The source for a host: the caller's mapping first (exact host, then the closest `*.suffix`), then the
 * well-known providers, else the host itself (lower case, without port).
 */
export function sourceForHost(host: string, sources?: SourceMap): string {
  const h = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  if (sources) {
    const exact = lookup(sources, h);
    if (exact !== undefined) return exact;
    const labels = h.split('.');
    for (let i = 1; i < labels.length; i++) {
      const hit = lookup(sources, `*.${labels.slice(i).join('.')}`);
      if (hit !== undefined) return hit;
    }
  }
  const known = KNOWN_SOURCES.get(h);
  if (known !== undefined) return known;
  if (h.endsWith('.twilio.com')) return 'twilio';
  return h;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^\d+$/;
const HEX = /^[0-9a-f]{8,}$/i;
/** Stripe-style `cus_123`, `pi_3Nx…`, `sk_test_…`; OpenAI-style `chatcmpl-8a…`, `file-abc123…`. */
const PREFIXED = /^[A-Za-z][A-Za-z0-9]{0,15}[_-][A-Za-z0-9_-]*\d[A-Za-z0-9_-]*$/;
/** Twilio SIDs: two letters and 32 hex digits (`AC…`, `SM…`). */
const TWILIO_SID = /^[A-Z]{2}[0-9a-f]{32}$/;
/** Versions and dates stay: `v1`, `v2beta`, `2010-04-01`. */
const VERSION = /^(v\d+[a-z0-9]*|\d{4}-\d{2}-\d{2})$/i;
const EXTENSION = /^(.*?)(\.(json|xml|csv|txt))$/i;

/** Whether one path segment looks like an identifier rather than a resource name. */
export function isIdSegment(segment: string): boolean {
  if (segment.length === 0 || VERSION.test(segment)) return false;
  if (DIGITS.test(segment) || UUID.test(segment) || TWILIO_SID.test(segment)) return true;
  if (HEX.test(segment) && /\d/.test(segment)) return true;
  if (PREFIXED.test(segment)) return true;
  // Long opaque tokens: letters and digits mixed, 16+ characters.
  return segment.length >= 16 && /^[A-Za-z0-9_-]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment);
}

/**
 * A URL path with ids replaced by `:id` (`/v1/customers/cus_123` → `/v1/customers/:id`), a trailing
 * `.json`-style extension kept (`/Messages/SM….json` → `/Messages/:id.json`), no query or fragment.
 */
export function templatePath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  const segments = bare.split('/').map((raw) => {
    let segment = raw;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      // A malformed escape is not an id we can recognise; keep the raw text.
    }
    const ext = EXTENSION.exec(segment);
    if (ext?.[1] && isIdSegment(ext[1])) return `:id${ext[2]}`;
    return isIdSegment(segment) ? ':id' : raw;
  });
  const joined = segments.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/** `METHOD /templated/path`, the endpoint name of one call. */
export function endpointName(method: string, path: string): string {
  return `${method.toUpperCase()} ${templatePath(path)}`;
}
