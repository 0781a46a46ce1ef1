// Property tests (fast-check) of access-token verification: a token verifies only if it is, byte for byte
// after base64url decoding, a token this service signed; every other input is refused with
// InvalidTokenError, never accepted and never answered with another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBase64Url } from './encoding';
import { createJwtService, InvalidTokenError } from './jwt';
import { ROLES } from './roles';

const SECRET = 'property-test-secret-0123456789abcdef-0123456789';
const opts = { secret: SECRET, issuer: 'https://pulsestream.dev', audience: 'pulsestream-api' };
const jwt = createJwtService(opts);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const claims = fc.record({
  sub: fc.string({ minLength: 1, maxLength: 40 }),
  tid: fc.uuid(),
  role: fc.constantFrom(...ROLES),
});

async function verdict(token: string): Promise<'ok' | 'refused'> {
  try {
    await jwt.verify(token);
    return 'ok';
  } catch (err) {
    if (err instanceof InvalidTokenError) return 'refused';
    throw err;
  }
}

/** The bytes each of the three parts decodes to (leniently, as a base64url decoder does), or null. */
function decodedParts(token: string): string[] | null {
  // Node's base64url decoder (which jose uses) skips whitespace: a space inserted into a part decodes to the
  // same bytes, so it is a re-spelling of the same token, not a different one.
  const parts = token.replace(/\s/g, '').split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return null;
  return parts.map((p) => {
    // Standard base64 after the alphabet swap; atob ignores the spare low bits, as lenient decoders do.
    const std = p.replace(/-/g, '+').replace(/_/g, '/');
    try {
      return atob(std + '='.repeat((4 - (std.length % 4)) % 4));
    } catch {
      return `undecodable:${p}`;
    }
  }, 60_000);
}

describe('JWT verification (fast-check)', () => {
  it('a signed token verifies and carries exactly the claims it was signed with', async () => {
    await fc.assert(
      fc.asyncProperty(claims, async (c) => {
        const { token } = await jwt.sign(c);
        const v = await jwt.verify(token);
        expect({ sub: v.sub, tid: v.tid, role: v.role }).toEqual(c);
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('any character changed, inserted or removed makes the token refused, unless it decodes to the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        claims,
        fc.nat(),
        fc.constantFrom('replace', 'insert', 'delete'),
        fc.constantFrom(...B64URL, '.', '=', '+', '/', ' ', '\u0000'),
        async (c, at, op, ch) => {
          const { token } = await jwt.sign(c);
          const i = at % token.length;
          const mutated =
            op === 'replace'
              ? token.slice(0, i) + ch + token.slice(i + 1)
              : op === 'insert'
                ? token.slice(0, i) + ch + token.slice(i)
                : token.slice(0, i) + token.slice(i + 1);
          fc.pre(mutated !== token);
          if ((await verdict(mutated)) === 'ok') {
            // Base64url has spare bits in a part's last character: a mutation there can decode to the same
            // bytes. Accepting it is sound only if every part decodes exactly as the original's does.
            expect(decodedParts(mutated)).toEqual(decodedParts(token));
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);

  it('a token signed with another secret, issuer or audience is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        claims,
        fc
          .string({ minLength: 32, maxLength: 64 })
          .filter((s) => s !== SECRET && new TextEncoder().encode(s).length >= 32),
        fc.constantFrom('secret', 'issuer', 'audience'),
        async (c, other, which) => {
          const foreign = createJwtService({
            ...opts,
            ...(which === 'secret'
              ? { secret: other }
              : which === 'issuer'
                ? { issuer: `${opts.issuer}/x` }
                : { audience: 'other' }),
          });
          const { token } = await foreign.sign(c);
          expect(await verdict(token)).toBe('refused');
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it('arbitrary strings and JWT-shaped garbage (alg none, other algorithms, junk JSON) are refused', async () => {
    const b64 = (s: string) => bytesToBase64Url(new TextEncoder().encode(s));
    const header = fc.oneof(
      fc.constant('{"alg":"none","typ":"JWT"}'),
      fc.constant('{"alg":"HS512","typ":"JWT"}'),
      fc.constant('{"alg":"RS256","typ":"JWT"}'),
      fc.constant('{"alg":"HS256"}'),
      fc.json(),
    );
    const shaped = fc
      .tuple(header, fc.json(), fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 60 }))
      .map(([h, p, s]) => `${b64(h)}.${b64(p)}.${s}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 300 }), shaped),
        async (input) => {
          expect(await verdict(input)).toBe('refused');
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);
});
