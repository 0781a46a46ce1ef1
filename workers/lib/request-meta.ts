import type { AuditActor } from '@pulsestream/db';
import type { AppContext, Principal } from './app';

/**
 * The client's address as Cloudflare's edge saw it. Only `CF-Connecting-IP` is trusted: the edge sets it and
 * overwrites a client-supplied one, unlike `X-Forwarded-For`. Absent outside Cloudflare (tests, some local
 * setups), where every caller shares the `unknown` bucket, which fails closed for throttling.
 */
export function clientIp(c: AppContext): string {
  const ip = c.req.header('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 ? ip : 'unknown';
}

/** The audit actor for an authenticated principal. */
export function auditActor(principal: Principal): AuditActor {
  return { type: principal.kind, id: principal.id };
}

/** The client address for audit rows: null rather than a placeholder when the edge did not say. */
export function auditIp(c: AppContext): string | null {
  const ip = clientIp(c);
  return ip === 'unknown' ? null : ip;
}
