/**
 * Live tickets: the short-lived, single-use credential a browser presents on `GET /v1/live?ticket=…`, since a
 * WebSocket upgrade cannot carry an Authorization header. Format: `pst_`, the tenant id as 32 lowercase hex
 * digits, `_`, then 32 random bytes in base64url (43 characters). The tenant is readable from the ticket so
 * the Worker can route the upgrade to that tenant's hub; the hub stores only the SHA-256 of the ticket with
 * its expiry, and consumes it on use. A ticket naming another tenant reaches a hub that never issued it.
 */

import { generateOpaqueToken } from './auth/tokens';
import { sha256Hex } from './hex';

/** Prefix of every live ticket (redacted from logs like the other credentials). */
export const LIVE_TICKET_PREFIX = 'pst_';
/** Tickets live this long. */
export const LIVE_TICKET_TTL_MS = 60_000;

const TICKET_RE = /^pst_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the client receives (`POST /v1/live/ticket`). */
export interface LiveTicket {
  ticket: string;
  /** seconds */
  expiresIn: number;
}

/** A new ticket with what the issuing hub stores: its hash and its expiry (epoch ms). */
export interface IssuedLiveTicket {
  ticket: string;
  hash: string;
  expiresAt: number;
}

/**
 * A new ticket for `tenantId`, issued at `now` (epoch ms).
 * @throws TypeError when `tenantId` is not a UUID.
 */
export async function createLiveTicket(tenantId: string, now: number): Promise<IssuedLiveTicket> {
  if (!UUID_RE.test(tenantId)) throw new TypeError(`live ticket: tenant id is not a UUID: ${tenantId}`);
  const ticket = `${LIVE_TICKET_PREFIX}${tenantId.replace(/-/g, '').toLowerCase()}_${generateOpaqueToken(32)}`;
  return { ticket, hash: await liveTicketHash(ticket), expiresAt: now + LIVE_TICKET_TTL_MS };
}

/** The tenant a well-formed ticket was issued for (a lowercase UUID), or null for anything else. */
export function tenantOfLiveTicket(ticket: string): string | null {
  const hex = TICKET_RE.exec(ticket)?.[1];
  if (hex === undefined) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The key a hub stores and looks a ticket up by: lowercase hex SHA-256 of the whole ticket. */
export function liveTicketHash(ticket: string): Promise<string> {
  return sha256Hex(ticket);
}

/**
 * Whether the stored row a ticket's hash found (none: unknown or already used) still admits a connection at
 * `now`: a ticket is valid strictly before its expiry.
 */
export function isLiveTicketUsable(stored: { expiresAt: number } | undefined, now: number): boolean {
  return stored !== undefined && now < stored.expiresAt;
}
