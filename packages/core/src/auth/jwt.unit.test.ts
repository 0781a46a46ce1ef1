import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { InvalidTokenReason, JwtServiceOptions } from './jwt';
import { createJwtService, InvalidTokenError } from './jwt';

const SECRET = 'k3J9sV0q7x2LmN8pR4tW6yZ1bC5dF0gH'; // exactly 32 bytes
const OTHER_SECRET = 'a-completely-different-secret-of-sufficient-length';
const ISSUER = 'https://api.pulsestream.dev';
const AUDIENCE = 'pulsestream-api';
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const T0_SECONDS = T0 / 1000;

const enc = new TextEncoder();

function b64url(value: unknown): string {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  const bytes = enc.encode(json);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodePart(part: string): Record<string, unknown> {
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

function service(overrides: Partial<JwtServiceOptions> = {}) {
  return createJwtService({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, now: () => T0, ...overrides });
}

function validPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    tid: 'tenant-1',
    role: 'admin',
    iat: T0_SECONDS,
    exp: T0_SECONDS + 900,
    jti: '3b241101-e2bb-4255-8caf-4136c566a962',
    ...overrides,
  };
}

/** Signs an arbitrary payload with HS256 so claim checks can be exercised one at a time. */
async function forge(
  payload: Record<string, unknown>,
  secret: string | Uint8Array = SECRET,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): Promise<string> {
  const key = typeof secret === 'string' ? enc.encode(secret) : secret;
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(key);
}

async function expectRefused(token: string, reason: InvalidTokenReason, svc = service()): Promise<void> {
  const error = await svc.verify(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as InvalidTokenError).reason).toBe(reason);
}

describe('createJwtService', () => {
  it('rejects secrets shorter than 256 bits with a clear error', () => {
    expect(() => service({ secret: SECRET.slice(0, 31) })).toThrow(/too short: 248 bits, need at least 256/);
    expect(() => service({ secret: '' })).toThrow(/too short/);
    expect(() => service({ secret: 'x'.repeat(32) })).not.toThrow();
  });

  it('counts secret length in UTF-8 bytes', () => {
    // 16 two-byte characters = 32 bytes.
    expect(() => service({ secret: 'é'.repeat(16) })).not.toThrow();
    expect(() => service({ secret: 'é'.repeat(15) })).toThrow(/too short: 240 bits/);
  });

  it('rejects empty issuer, audience and bad ttl', () => {
    expect(() => service({ issuer: '' })).toThrow(/issuer/);
    expect(() => service({ audience: '' })).toThrow(/audience/);
    expect(() => service({ ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => service({ ttlSeconds: 1.5 })).toThrow(/ttlSeconds/);
  });
});

describe('sign and verify', () => {
  it('round-trips the claims with a 900 s default lifetime', async () => {
    const svc = service();
    const signed = await svc.sign({ sub: 'user-42', tid: 'tenant-7', role: 'member' });
    expect(signed.expiresIn).toBe(900);
    expect(signed.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const claims = await svc.verify(signed.token);
    expect(claims).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-42',
      tid: 'tenant-7',
      role: 'member',
      iat: T0_SECONDS,
      exp: T0_SECONDS + 900,
      jti: signed.jti,
    });
  });

  it('writes an HS256 JWT header and only the expected claims', async () => {
    const { token } = await service().sign({
      sub: 'u',
      tid: 't',
      role: 'viewer',
      extra: 'smuggled',
    } as unknown as Parameters<ReturnType<typeof service>['sign']>[0]);
    const [header, payload] = token.split('.').slice(0, 2).map(decodePart);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(payload ?? {}).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sub', 'tid']);
  });

  it('honours a custom ttl', async () => {
    const svc = service({ ttlSeconds: 60 });
    const signed = await svc.sign({ sub: 'u', tid: 't', role: 'owner' });
    expect(signed.expiresIn).toBe(60);
    expect((await svc.verify(signed.token)).exp).toBe(T0_SECONDS + 60);
  });

  it('gives every token a distinct jti', async () => {
    const svc = service();
    const jtis = new Set<string>();
    for (let i = 0; i < 50; i++) jtis.add((await svc.sign({ sub: 'u', tid: 't', role: 'admin' })).jti);
    expect(jtis.size).toBe(50);
  });

  it('refuses to sign invalid claims', async () => {
    const svc = service();
    await expect(svc.sign({ sub: '', tid: 't', role: 'admin' })).rejects.toThrow(TypeError);
    await expect(svc.sign({ sub: 'u', tid: '', role: 'admin' })).rejects.toThrow(TypeError);
    await expect(svc.sign({ sub: 'u', tid: 't', role: 'root' as 'admin' })).rejects.toThrow(TypeError);
  });

  it('accepts a hand-forged token with correct claims (so refusals below are meaningful)', async () => {
    const claims = await service().verify(await forge(validPayload()));
    expect(claims.tid).toBe('tenant-1');
  });
});

describe('expiry and clock skew', () => {
  it('accepts a token up to 60 s past exp and refuses it after', async () => {
    const { token } = await service().sign({ sub: 'u', tid: 't', role: 'admin' });
    const exp = T0 + 900_000;
    await expect(service({ now: () => exp + 59_000 }).verify(token)).resolves.toMatchObject({ sub: 'u' });
    await expectRefused(token, 'expired', service({ now: () => exp + 61_000 }));
    await expectRefused(token, 'expired', service({ now: () => exp + 3_600_000 }));
  });

  it('refuses tokens issued in the future beyond the skew', async () => {
    const { token } = await service({ now: () => T0 + 120_000 }).sign({ sub: 'u', tid: 't', role: 'admin' });
    await expectRefused(token, 'not_yet_valid', service());
    const { token: slightlyAhead } = await service({ now: () => T0 + 30_000 }).sign({
      sub: 'u',
      tid: 't',
      role: 'admin',
    });
    await expect(service().verify(slightlyAhead)).resolves.toMatchObject({ sub: 'u' });
  });

  it('refuses a token whose nbf is in the future', async () => {
    await expectRefused(await forge(validPayload({ nbf: T0_SECONDS + 600 })), 'not_yet_valid');
  });
});

describe('refusals', () => {
  it('refuses alg "none" (unsigned token)', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validPayload())}.`;
    await expectRefused(token, 'alg_not_allowed');
  });

  it('refuses HS256 signed with an RSA public key PEM as the HMAC secret', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await forge(validPayload(), enc.encode(pem));
    await expectRefused(token, 'bad_signature');
  });

  it('refuses RS256 tokens, even when the configured secret is the matching public key PEM', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await new SignJWT(validPayload()).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    await expectRefused(token, 'alg_not_allowed');
    await expectRefused(token, 'alg_not_allowed', service({ secret: pem }));
    // And the classic confusion: HS256 keyed with that PEM is refused by the real service.
    await expectRefused(await forge(validPayload(), pem), 'bad_signature');
  });

  it('refuses other HMAC algorithms', async () => {
    const token = await new SignJWT(validPayload())
      .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
      .sign(enc.encode(SECRET.repeat(2)));
    await expectRefused(token, 'alg_not_allowed');
  });

  it('refuses a wrong audience or issuer', async () => {
    await expectRefused(await forge(validPayload({ aud: 'another-api' })), 'bad_audience');
    await expectRefused(await forge(validPayload({ aud: [] })), 'bad_audience');
    await expectRefused(await forge(validPayload({ iss: 'https://evil.example' })), 'bad_issuer');
    const { token } = await service({ audience: 'ingest-only' }).sign({ sub: 'u', tid: 't', role: 'admin' });
    await expectRefused(token, 'bad_audience');
  });

  it('refuses a token signed with another secret', async () => {
    await expectRefused(await forge(validPayload(), OTHER_SECRET), 'bad_signature');
    const { token } = await service({ secret: OTHER_SECRET }).sign({ sub: 'u', tid: 't', role: 'admin' });
    await expectRefused(token, 'bad_signature');
  });

  it('refuses a tampered payload', async () => {
    const { token } = await service().sign({ sub: 'u', tid: 'tenant-a', role: 'viewer' });
    const [header, payload, signature] = token.split('.');
    const decoded = decodePart(payload ?? '');
    const escalated = b64url({ ...decoded, role: 'owner' });
    const otherTenant = b64url({ ...decoded, tid: 'tenant-b' });
    await expectRefused(`${header}.${escalated}.${signature}`, 'bad_signature');
    await expectRefused(`${header}.${otherTenant}.${signature}`, 'bad_signature');
  });

  it('refuses a tampered header', async () => {
    const { token } = await service().sign({ sub: 'u', tid: 't', role: 'viewer' });
    const [, payload, signature] = token.split('.');
    await expectRefused(`${b64url({ alg: 'HS256', typ: 'JWT', kid: 'x' })}.${payload}.${signature}`, 'bad_signature');
  });

  it.each(['sub', 'tid', 'role', 'jti', 'exp', 'iat'])('refuses a token missing %s', async (claim) => {
    const payload = validPayload();
    delete payload[claim];
    await expectRefused(await forge(payload), 'missing_claim');
  });

  it('refuses unknown roles and mistyped claims', async () => {
    await expectRefused(await forge(validPayload({ role: 'superadmin' })), 'bad_claim');
    await expectRefused(await forge(validPayload({ role: 'OWNER' })), 'bad_claim');
    await expectRefused(await forge(validPayload({ tid: 42 })), 'bad_claim');
    await expectRefused(await forge(validPayload({ tid: '' })), 'bad_claim');
    await expectRefused(await forge(validPayload({ sub: ['u'] })), 'bad_claim');
    await expectRefused(await forge(validPayload({ jti: 7 })), 'bad_claim');
    await expectRefused(await forge(validPayload({ aud: [AUDIENCE] })), 'bad_claim');
  });

  it('refuses a token without typ JWT', async () => {
    await expectRefused(await forge(validPayload(), SECRET, { alg: 'HS256', typ: 'at+jwt' }), 'bad_claim');
  });

  it('refuses garbage strings', async () => {
    const garbage = [
      '',
      'garbage',
      'a.b.c',
      'eyJ.eyJ.',
      '...',
      `${b64url({ alg: 'HS256' })}.not-json.sig`,
      `${b64url('[1,2]')}.${b64url(validPayload())}.sig`,
      `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url('"just a string"')}.c2ln`,
      'x'.repeat(5000),
      `Bearer ${(await service().sign({ sub: 'u', tid: 't', role: 'admin' })).token}`,
    ];
    for (const token of garbage) {
      const error = await service()
        .verify(token)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error, token.slice(0, 40)).toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses non-string input with InvalidTokenError rather than a TypeError', async () => {
    for (const value of [undefined, null, 42, {}]) {
      await expect(service().verify(value as unknown as string)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('exposes the jose error as the cause for logs', async () => {
    const error = await service()
      .verify(await forge(validPayload(), OTHER_SECRET))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as InvalidTokenError).cause).toBeInstanceOf(Error);
    expect((error as InvalidTokenError).message).toBe('invalid access token: bad_signature');
    expect((error as InvalidTokenError).name).toBe('InvalidTokenError');
  });
});
