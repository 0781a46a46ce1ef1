/**
 * Short-lived access tokens: HS256 JWTs signed and verified with jose. The algorithm, issuer
 * and audience are pinned on verification so a token minted elsewhere, or with `alg: none`
 * or an asymmetric algorithm, is never accepted.
 */

import { errors, jwtVerify, SignJWT } from 'jose';
import type { Role } from './roles';
import { isRole } from './roles';

/** Verified claims of an access token. */
export interface AccessClaims {
  iss: string;
  aud: string;
  /** User id. */
  sub: string;
  /** Tenant id: the isolation boundary for everything the request touches. */
  tid: string;
  role: Role;
  iat: number;
  exp: number;
  jti: string;
}

/** Options for {@link createJwtService}. */
export interface JwtServiceOptions {
  /** HMAC secret, at least 32 bytes (256 bits) once UTF-8 encoded. */
  secret: string;
  issuer: string;
  audience: string;
  /** Access token lifetime; default 900 s. */
  ttlSeconds?: number;
  /** Milliseconds since the epoch; injectable so expiry can be tested without waiting. */
  now?: () => number;
}

/** What the application puts into an access token. */
export interface AccessTokenInput {
  sub: string;
  tid: string;
  role: Role;
}

/** A freshly signed access token. */
export interface SignedAccessToken {
  token: string;
  /** Seconds until expiry, as returned to clients in `expiresIn`. */
  expiresIn: number;
  jti: string;
}

/** Access token signer and verifier bound to one secret, issuer and audience. */
export interface JwtService {
  sign(claims: AccessTokenInput): Promise<SignedAccessToken>;
  /** @throws InvalidTokenError for any token that is not a valid, current access token. */
  verify(token: string): Promise<AccessClaims>;
}

/** Why a token was refused. Kept coarse: the client only ever sees "401". */
export type InvalidTokenReason =
  | 'malformed'
  | 'alg_not_allowed'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_issuer'
  | 'bad_audience'
  | 'missing_claim'
  | 'bad_claim';

/**
 * The only error {@link JwtService.verify} throws, so callers need a single catch to map
 * every refusal to 401. `reason` is for logs and metrics, not for the response body.
 */
export class InvalidTokenError extends Error {
  readonly reason: InvalidTokenReason;

  constructor(reason: InvalidTokenReason, options?: { cause?: unknown }) {
    super(`invalid access token: ${reason}`, options);
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

/** Default access token lifetime in seconds. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
/** Allowed clock skew between Workers and clients, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** Shortest accepted HMAC secret in bytes (RFC 7518 §3.2: key at least the hash size). */
export const MIN_JWT_SECRET_BYTES = 32;

const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'JWT';
// Real tokens are ~350 bytes; refusing huge inputs early avoids parsing attacker-sized JSON.
const MAX_TOKEN_LENGTH = 4096;

function reasonFor(error: unknown): InvalidTokenReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.claim === 'iss') return 'bad_issuer';
    if (error.claim === 'aud') return 'bad_audience';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not_yet_valid';
    return 'bad_claim';
  }
  return 'malformed';
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Builds the access token service. Fails fast on a weak secret or bad options so a
 * misconfigured deployment breaks at startup rather than issuing forgeable tokens.
 * @throws Error if the secret is shorter than 256 bits or other options are invalid.
 */
export function createJwtService(options: JwtServiceOptions): JwtService {
  const { secret, issuer, audience } = options;
  const ttlSeconds = options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  const now = options.now ?? Date.now;

  if (typeof secret !== 'string') throw new Error('JWT secret must be a string');
  const key = new TextEncoder().encode(secret);
  if (key.length < MIN_JWT_SECRET_BYTES) {
    throw new Error(
      `JWT secret is too short: ${key.length * 8} bits, need at least ${MIN_JWT_SECRET_BYTES * 8} (${MIN_JWT_SECRET_BYTES} bytes). Generate one with 32+ random bytes.`,
    );
  }
  if (!nonEmptyString(issuer)) throw new Error('JWT issuer must be a non-empty string');
  if (!nonEmptyString(audience)) throw new Error('JWT audience must be a non-empty string');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`JWT ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }

  async function sign(claims: AccessTokenInput): Promise<SignedAccessToken> {
    // Signing bad claims is a programming error; failing here keeps them out of circulation.
    if (!nonEmptyString(claims.sub)) throw new TypeError('sign: sub must be a non-empty string');
    if (!nonEmptyString(claims.tid)) throw new TypeError('sign: tid must be a non-empty string');
    if (!isRole(claims.role)) throw new TypeError(`sign: unknown role ${String(claims.role)}`);
    const iat = Math.floor(now() / 1000);
    const jti = crypto.randomUUID();
    // Only the known claims are copied so callers cannot smuggle extra ones in.
    const token = await new SignJWT({ tid: claims.tid, role: claims.role })
      .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(jti)
      .sign(key);
    return { token, expiresIn: ttlSeconds, jti };
  }

  async function verify(token: string): Promise<AccessClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('malformed');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer,
        audience,
        typ: TOKEN_TYPE,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'tid', 'role', 'jti', 'exp', 'iat'],
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw new InvalidTokenError(reasonFor(error), { cause: error });
    }
    const { iss, aud, sub, tid, role, iat, exp, jti } = payload;
    // jose checked presence and iss/aud; the types of our own claims are checked here.
    if (!nonEmptyString(iss) || !nonEmptyString(aud)) throw new InvalidTokenError('bad_claim');
    if (!nonEmptyString(sub) || !nonEmptyString(tid) || !nonEmptyString(jti)) throw new InvalidTokenError('bad_claim');
    if (!isRole(role)) throw new InvalidTokenError('bad_claim');
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new InvalidTokenError('bad_claim');
    // A token claiming to be issued in the future was not minted by this clock.
    if (iat > Math.floor(now() / 1000) + CLOCK_TOLERANCE_SECONDS) throw new InvalidTokenError('not_yet_valid');
    return { iss, aud, sub, tid, role, iat, exp, jti };
  }

  return { sign, verify };
}
