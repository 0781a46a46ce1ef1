/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature: v1,<base64>` where the
 * value is HMAC-SHA256, keyed with the base64-decoded part of a `whsec_…` secret, over `id.timestamp.body`
 * (timestamp in whole seconds). WebCrypto only, so it runs in Workers and Node alike.
 */
export const SECRET_PREFIX = 'whsec_';
/** Receivers should refuse timestamps further than this from their clock (the spec's recommendation). */
export const TIMESTAMP_TOLERANCE_SEC = 5 * 60;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** A new signing secret: `whsec_` + 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

function secretKey(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = fromBase64(encoded);
  if (!key || key.length < 16) throw new TypeError('webhook secret must be whsec_ followed by base64 of ≥ 16 bytes');
  return key;
}

async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    secretKey(secret) as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
  return toBase64(new Uint8Array(mac));
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for `body` sent as message `id` at `timestampSec`. */
export async function signWebhook(
  secret: string,
  id: string,
  timestampSec: number,
  body: string,
): Promise<WebhookHeaders> {
  const ts = String(Math.floor(timestampSec));
  return {
    'webhook-id': id,
    'webhook-timestamp': ts,
    'webhook-signature': `v1,${await hmac(secret, `${id}.${ts}.${body}`)}`,
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Verifies Standard Webhooks headers (any of several space-separated `v1,` signatures may match) and the
 * timestamp tolerance. For our own tests and for tenants' receivers written against this library.
 */
export async function verifyWebhook(
  secret: string,
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  body: string,
  nowSec: number = Date.now() / 1000,
): Promise<boolean> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSec - Number(timestamp)) > TIMESTAMP_TOLERANCE_SEC) return false;
  const expected = await hmac(secret, `${id}.${timestamp}.${body}`);
  return signature.split(' ').some((part) => part.startsWith('v1,') && constantTimeEqual(part.slice(3), expected));
}
