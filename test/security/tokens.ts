import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { jwtSettings } from './fixtures';

const enc = new TextEncoder();

function b64url(value: unknown): string {
  const bytes = enc.encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Claims for a real user of a real tenant, so only the defect under test can be the reason for a refusal. */
export interface ForgeTarget {
  sub: string;
  tid: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
}

/**
 * Access tokens that must all be refused with 401: each carries valid claims for an existing owner but is
 * broken in exactly one way.
 */
export async function badTokens(target: ForgeTarget, validToken: string): Promise<Record<string, string>> {
  const { secret, issuer, audience } = jwtSettings();
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...target, iss: issuer, aud: audience, iat: now, exp: now + 900, jti: crypto.randomUUID() };
  const hs = (payload: Record<string, unknown>, key: string | Uint8Array, header: Record<string, unknown> = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
      .sign(typeof key === 'string' ? enc.encode(key) : key);
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicPem = await exportSPKI(publicKey);
  const [header, payload] = validToken.split('.');
  const decoded = JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  return {
    garbage: 'not-a-token',
    'three garbage segments': 'abc.def.ghi',
    'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
    expired: await hs({ ...claims, iat: now - 3600, exp: now - 1800 }, secret),
    'wrong signing key': await hs(claims, 'another-secret-of-plenty-of-length-0123456789'),
    'wrong audience': await hs({ ...claims, aud: 'someone-else' }, secret),
    'wrong issuer': await hs({ ...claims, iss: 'https://evil.example' }, secret),
    'RS256 (asymmetric alg)': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(privateKey),
    'HS256 keyed with an RSA public key (alg confusion)': await hs(claims, publicPem),
    'tampered payload': `${header}.${b64url({ ...decoded, role: 'owner', exp: now + 86_400 })}.${validToken.split('.')[2]}`,
    'not yet issued': await hs({ ...claims, iat: now + 3600, exp: now + 4500 }, secret),
  };
}
