import type { AuditActor } from '@pulsestream/db';
import type { AppContext, Principal } from './app';

/**
 * The client's address as Cloudflare's edge saw it. Only `CF-Connecting-IP` is trusted: the edge sets it and
 * overwrites a client-supplied one, unlike `X-Forwarded-For`. Under `wrangler dev` (development) nothing
 * overwrites it, so a client could pick its own address, resetting per-address limits and forging audit
 * rows: there every caller is the one local `unknown` address. Absent (tests without it), the same bucket,
 * which fails closed for throttling.
 */
export function clientIp(c: AppContext): string {
  if (c.get('services').config.ENVIRONMENT === 'development') return 'unknown';
  const ip = c.req.header('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 && IP_TEXT.test(ip) ? ip : 'unknown';
}

/** What an IPv4 or IPv6 address can look like: nothing else becomes a throttle key or an audit value. */
const IP_TEXT = /^[0-9A-Fa-f:.]{2,45}$/;

/** The audit actor for an authenticated principal. */
export function auditActor(principal: Principal): AuditActor {
  return { type: principal.kind, id: principal.id };
}

/** The client address for audit rows: null rather than a placeholder when the edge did not say. */
export function auditIp(c: AppContext): string | null {
  const ip = clientIp(c);
  return ip === 'unknown' ? null : ip;
}
