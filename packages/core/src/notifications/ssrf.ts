/**
 * SSRF guard for notification targets. Two checks:
 * - {@link checkTargetUrl} when a channel is created or updated (and again before each delivery): https only,
 *   no credentials in the URL, no single-label or localhost names, and no literal address that is not public.
 * - {@link checkResolvedAddresses} at delivery, on what the hostname resolves to right then.
 * The one exception, `allowLoopbackHttp` (development and the test environment only, never production), admits
 * exactly `http://127.0.0.1[:port]` and `http://localhost[:port]`.
 *
 * Literal addresses are classified after the WHATWG URL parser has normalized them, so `http://2130706433/`,
 * `http://0x7f.1/` and `[::ffff:127.0.0.1]` are seen as the loopback addresses they are.
 */

export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, ECS task metadata, Alibaba, AWS IPv6). */
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192']);
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'metadata.azure.internal']);

/** Parses dotted-quad IPv4 (as the URL parser leaves it) to 4 octets, or null. */
export function parseIPv4(text: string): [number, number, number, number] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (octets.some((o) => !(o >= 0 && o <= 255))) return null;
  return octets as [number, number, number, number];
}

/** Parses an IPv6 address (without brackets; an embedded dotted IPv4 tail allowed) to 8 16-bit groups, or null. */
export function parseIPv6(text: string): number[] | null {
  let input = text.toLowerCase();
  const zone = input.indexOf('%');
  if (zone >= 0) input = input.slice(0, zone);
  if (!/^[0-9a-f:.]+$/.test(input)) return null;
  let tail: number[] = [];
  const lastColon = input.lastIndexOf(':');
  if (input.includes('.')) {
    const v4 = parseIPv4(input.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    input = input.slice(0, lastColon + 1);
    if (input.endsWith(':') && !input.endsWith('::')) input = input.slice(0, -1);
  }
  const halves = input.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : -1));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if ([...head, ...rest].some((g) => g < 0)) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1) {
    if (explicit !== 8) return null;
    return [...head, ...tail];
  }
  if (explicit > 7) return null;
  return [...head, ...Array(8 - explicit).fill(0), ...rest, ...tail];
}

/** Classifies an IPv4 address. */
export function classifyIPv4(o: readonly [number, number, number, number]): AddressClass {
  const [a, b, c] = o;
  const dotted = o.join('.');
  if (METADATA_V4.has(dotted)) return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT, shared address space
  if (a === 192 && b === 0 && c === 0) return 'reserved'; // IETF protocol assignments
  if (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  ) {
    return 'reserved'; // documentation
  }
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

/** Classifies an IPv6 address given as 8 groups, looking through IPv4-mapped, -compatible, NAT64 and 6to4 forms. */
export function classifyIPv6(g: readonly number[]): AddressClass {
  const v4 = (hi: number, lo: number) => classifyIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  if (zeroTo(5) && g5 === 0xffff) return v4(g6, g7); // ::ffff:a.b.c.d
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return v4(g6, g7); // ::ffff:0:a.b.c.d (SIIT)
  if (zeroTo(6)) return v4(g6, g7); // deprecated IPv4-compatible ::a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b) return v4(g6, g7); // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) {
    return 'metadata'; // AWS IMDS over IPv6
  }
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: embeds an obfuscated IPv4; refuse
  return 'public';
}

/** Classifies a literal address (IPv4 dotted, IPv6 with or without brackets), or null when it is not one. */
export function classifyAddress(text: string): AddressClass | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIPv4(bare);
  if (v4) return classifyIPv4(v4);
  if (bare.includes(':')) {
    const v6 = parseIPv6(bare);
    return v6 ? classifyIPv6(v6) : null;
  }
  return null;
}

export type TargetCheck = { ok: true; url: URL; literal: boolean } | { ok: false; reason: string };

export interface TargetPolicy {
  /** development and test only: admit exactly http://127.0.0.1[:port] and http://localhost[:port] */
  allowLoopbackHttp: boolean;
}

/** Checks a notification target URL before it is stored and before each delivery (without resolving it). */
export function checkTargetUrl(raw: string, policy: TargetPolicy): TargetCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'The URL is not a valid absolute URL.' };
  }
  if (url.username || url.password) return { ok: false, reason: 'The URL must not contain credentials.' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (policy.allowLoopbackHttp && url.protocol === 'http:' && (host === '127.0.0.1' || host === 'localhost')) {
    return { ok: true, url, literal: host === '127.0.0.1' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'The URL must use https.' };
  const cls = classifyAddress(host);
  if (cls !== null) {
    if (cls !== 'public') return { ok: false, reason: `The URL points at a ${cls} address (${host}).` };
    return { ok: true, url, literal: true };
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: 'The URL points at a loopback address (localhost).' };
  }
  if (METADATA_HOSTS.has(host)) return { ok: false, reason: `The URL points at a metadata address (${host}).` };
  if (!host.includes('.')) return { ok: false, reason: 'The URL host must be a fully qualified domain name.' };
  return { ok: true, url, literal: false };
}

/** Resolves a hostname to its addresses (A and AAAA). Implementations: DNS over HTTPS in Workers, fakes in tests. */
export interface Resolver {
  resolve(hostname: string): Promise<string[]>;
}

/** Refuses a resolution that is empty or contains any address that is not public. */
export function checkResolvedAddresses(
  hostname: string,
  addresses: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  if (addresses.length === 0) return { ok: false, reason: `${hostname} does not resolve.` };
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === null) return { ok: false, reason: `${hostname} resolved to an unparseable address.` };
    if (cls !== 'public') return { ok: false, reason: `${hostname} resolves to a ${cls} address (${address}).` };
  }
  return { ok: true };
}
