import { base64UrlToBytes, bytesToBase64Url } from '../auth/encoding';

/** Default lifetime of a download URL: 15 minutes. */
export const DEFAULT_DOWNLOAD_TTL_SECONDS = 15 * 60;
/** Longest lifetime a caller may ask for: 7 days. */
export const MAX_DOWNLOAD_TTL_SECONDS = 7 * 24 * 60 * 60;

/** What a download signature covers. `expiresAt` is in epoch seconds. */
export interface DownloadGrant {
  reportId: string;
  tenantId: string;
  expiresAt: number;
}

const encoder = new TextEncoder();
// Domain separation: the signing key is derived from the deployment secret for this one purpose, so a
// download signature can never be replayed as (or forged from) any other HMAC the platform computes.
const KEY_LABEL = 'pulsestream/report-download/v1';

async function importKey(secret: string): Promise<CryptoKey> {
  const root = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const derived = await crypto.subtle.sign('HMAC', root, encoder.encode(KEY_LABEL));
  return crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

function message(grant: DownloadGrant): Uint8Array<ArrayBuffer> {
  // Newline-separated: none of the fields can contain a newline (uuids and an integer), so the encoding is
  // unambiguous and no two grants share a message.
  return encoder.encode(`v1\n${grant.reportId}\n${grant.tenantId}\n${grant.expiresAt}`) as Uint8Array<ArrayBuffer>;
}

/** HMAC-SHA256 over (report id, tenant, expiry), base64url without padding (43 characters). */
export async function signDownload(grant: DownloadGrant, secret: string): Promise<string> {
  const key = await importKey(secret);
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, message(grant))));
}

/** Why a presented download URL was refused (for logs only; the client sees one answer for all). */
export type DownloadRefusal = 'malformed' | 'expired' | 'bad_signature';

/**
 * Checks a presented signature for `grant` at `nowSeconds`. Expiry is checked first (it needs no key), then
 * the MAC with WebCrypto's constant-time verify. Returns null when the grant is valid.
 */
export async function verifyDownload(
  grant: DownloadGrant,
  signature: string,
  secret: string,
  nowSeconds: number,
): Promise<DownloadRefusal | null> {
  if (!Number.isSafeInteger(grant.expiresAt) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return 'malformed';
  if (grant.expiresAt <= nowSeconds) return 'expired';
  const mac = base64UrlToBytes(signature);
  if (mac?.length !== 32) return 'malformed';
  const key = await importKey(secret);
  const ok = await crypto.subtle.verify('HMAC', key, mac, message(grant));
  return ok ? null : 'bad_signature';
}
