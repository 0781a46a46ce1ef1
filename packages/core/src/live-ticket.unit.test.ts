import { describe, expect, it } from 'vitest';
import { sha256Hex } from './hex';
import {
  createLiveTicket,
  isLiveTicketUsable,
  LIVE_TICKET_TTL_MS,
  liveTicketHash,
  tenantOfLiveTicket,
} from './live-ticket';

const TENANT = '0190f3a2-7b1c-7def-8a12-3456789abcde';

describe('live tickets', () => {
  it('are pst_, the tenant as 32 hex digits, _, and 43 base64url characters', async () => {
    const { ticket } = await createLiveTicket(TENANT, 0);
    expect(ticket).toMatch(/^pst_0190f3a27b1c7def8a123456789abcde_[A-Za-z0-9_-]{43}$/);
  });

  it('carry their tenant, read back as a lowercase UUID whatever the case it was issued with', async () => {
    const { ticket } = await createLiveTicket(TENANT.toUpperCase(), 0);
    expect(tenantOfLiveTicket(ticket)).toBe(TENANT);
  });

  it('differ each time, and store the SHA-256 of the whole ticket with an expiry TTL later', async () => {
    const now = 1_764_000_000_000;
    const a = await createLiveTicket(TENANT, now);
    const b = await createLiveTicket(TENANT, now);
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.hash).toBe(await sha256Hex(a.ticket));
    expect(await liveTicketHash(a.ticket)).toBe(a.hash);
    expect(a.hash).not.toBe(b.hash);
    expect(a.expiresAt).toBe(now + LIVE_TICKET_TTL_MS);
    expect(LIVE_TICKET_TTL_MS).toBe(60_000);
  });

  it('are refused for a tenant id that is not a UUID', async () => {
    await expect(createLiveTicket('tenant-a', 0)).rejects.toThrow(TypeError);
    await expect(createLiveTicket(`${TENANT}0`, 0)).rejects.toThrow(TypeError);
  });

  it('name no tenant unless well-formed', async () => {
    const { ticket } = await createLiveTicket(TENANT, 0);
    const secret = ticket.slice(-43);
    for (const bad of [
      '',
      'nope',
      ticket.slice(0, -1), // secret one character short
      `${ticket}A`, // one too long
      ticket.replace('pst_', 'psx_'),
      ticket.replace('pst_', 'PST_'),
      `pst_0190F3A27B1C7DEF8A123456789ABCDE_${secret}`, // upper-case hex
      `pst_0190f3a27b1c7def8a123456789abcd_${secret}`, // 31 hex digits
      `pst_0190f3a27b1c7def8a123456789abcde-${secret}`,
      `pst_0190f3a27b1c7def8a123456789abcde_${secret.slice(0, -1)}=`,
      `pst_0190f3a27b1c7def8a123456789abcde_${secret.slice(0, -1)}\u0000`,
      ` ${ticket}`,
      `${ticket}\n`,
    ]) {
      expect(tenantOfLiveTicket(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('admit a connection only while a stored row exists and before its expiry', () => {
    expect(isLiveTicketUsable(undefined, 0)).toBe(false);
    expect(isLiveTicketUsable({ expiresAt: 1000 }, 999)).toBe(true);
    expect(isLiveTicketUsable({ expiresAt: 1000 }, 1000)).toBe(false);
    expect(isLiveTicketUsable({ expiresAt: 1000 }, 1001)).toBe(false);
  });
});
