import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDownload, verifyDownload } from './signing';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const grant = {
  reportId: '0196b1a2-7c3e-7000-8000-000000000001',
  tenantId: '0196b1a2-7c3e-7000-8000-0000000000aa',
  expiresAt: 2_000_000_000,
};
const NOW = 1_999_999_000;

describe('report download signatures', () => {
  it('is HMAC-SHA256 over (report, tenant, expiry) with a purpose-derived key', async () => {
    // Independent computation with node:crypto.
    const key = createHmac('sha256', SECRET).update('pulsestream/report-download/v1').digest();
    const expected = createHmac('sha256', key)
      .update(`v1\n${grant.reportId}\n${grant.tenantId}\n${grant.expiresAt}`)
      .digest('base64url');
    expect(await signDownload(grant, SECRET)).toBe(expected);
  });

  it('accepts its own signature before the expiry', async () => {
    const sig = await signDownload(grant, SECRET);
    expect(await verifyDownload(grant, sig, SECRET, NOW)).toBeNull();
  });

  it('refuses at and after the expiry', async () => {
    const sig = await signDownload(grant, SECRET);
    expect(await verifyDownload(grant, sig, SECRET, grant.expiresAt)).toBe('expired');
    expect(await verifyDownload(grant, sig, SECRET, grant.expiresAt + 1)).toBe('expired');
  });

  it('refuses any altered character of the signature', async () => {
    const sig = await signDownload(grant, SECRET);
    for (let i = 0; i < sig.length; i++) {
      const c = sig[i] === 'A' ? 'B' : 'A';
      const altered = sig.slice(0, i) + c + sig.slice(i + 1);
      expect(await verifyDownload(grant, altered, SECRET, NOW), `position ${i}`).not.toBeNull();
    }
  });

  it('binds the report, the tenant, the expiry and the secret', async () => {
    const sig = await signDownload(grant, SECRET);
    const other = '0196b1a2-7c3e-7000-8000-000000000002';
    expect(await verifyDownload({ ...grant, reportId: other }, sig, SECRET, NOW)).toBe('bad_signature');
    expect(await verifyDownload({ ...grant, tenantId: other }, sig, SECRET, NOW)).toBe('bad_signature');
    expect(await verifyDownload({ ...grant, expiresAt: grant.expiresAt + 1 }, sig, SECRET, NOW)).toBe('bad_signature');
    expect(await verifyDownload(grant, sig, `${SECRET}x`, NOW)).toBe('bad_signature');
  });

  it('refuses malformed signatures and expiries without throwing', async () => {
    expect(await verifyDownload(grant, '', SECRET, NOW)).toBe('malformed');
    expect(await verifyDownload(grant, 'x'.repeat(44), SECRET, NOW)).toBe('malformed');
    expect(await verifyDownload(grant, `${'A'.repeat(42)}\u0000`, SECRET, NOW)).toBe('malformed');
    expect(await verifyDownload({ ...grant, expiresAt: 1e308 }, 'A'.repeat(43), SECRET, NOW)).toBe('malformed');
    expect(await verifyDownload({ ...grant, expiresAt: Number.NaN }, 'A'.repeat(43), SECRET, NOW)).toBe('malformed');
  });
});
