/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto, the only password KDF available in
 * both workerd and Node without native modules.
 *
 * Encoded form: `$pbkdf2-sha256$v=1$i=<iterations>$<salt b64url>$<hash b64url>`. The
 * parameters travel with the hash so a later change of cost can verify old hashes and
 * flag them through {@link needsRehash}.
 */

import { base64UrlToBytes, bytesToBase64Url, randomBytes } from './encoding';

/** Shortest password accepted at signup and password change. */
export const MIN_PASSWORD_LENGTH = 10;

/** Iterations for new hashes. workerd refuses PBKDF2 above 100,000, so this is also the ceiling. */
export const PBKDF2_ITERATIONS = 100_000;

const SCHEME = 'pbkdf2-sha256';
const FORMAT_VERSION = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Verification bounds: the upper one is workerd's limit; the lower one rejects stored strings
// that would make a hash trivially cheap to brute-force.
const MIN_ITERATIONS = 1_000;
const MAX_ITERATIONS = 100_000;
const ENCODED_RE = /^\$pbkdf2-sha256\$v=(\d{1,3})\$i=(\d{1,7})\$([A-Za-z0-9_-]{1,128})\$([A-Za-z0-9_-]{1,128})$/;

interface ParsedHash {
  version: number;
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, so a mismatch
 * position cannot be learnt by timing. Lengths are not secret here (hash sizes are public).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    // `?? 0` only satisfies noUncheckedIndexedAccess; i is always in range.
    diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return diff === 0;
}

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  lengthBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  // NFKC (NIST SP 800-63B 5.1.1.2) so the same password typed on keyboards that compose
  // accents differently still matches.
  const secret = new TextEncoder().encode(password.normalize('NFKC'));
  const keyMaterial = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    keyMaterial,
    lengthBytes * 8,
  );
  return new Uint8Array(bits);
}

function parse(encoded: string): ParsedHash | null {
  if (typeof encoded !== 'string') return null;
  const match = ENCODED_RE.exec(encoded);
  if (!match) return null;
  const [, versionText, iterationsText, saltText, hashText] = match;
  if (versionText === undefined || iterationsText === undefined || saltText === undefined || hashText === undefined) {
    return null;
  }
  const version = Number(versionText);
  const iterations = Number(iterationsText);
  if (version !== FORMAT_VERSION) return null;
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) return null;
  const salt = base64UrlToBytes(saltText);
  const hash = base64UrlToBytes(hashText);
  if (!salt || !hash) return null;
  if (salt.length < SALT_BYTES || hash.length < 16 || hash.length > 64) return null;
  return { version, iterations, salt, hash };
}

function encode(iterations: number, salt: Uint8Array, hash: Uint8Array): string {
  return `$${SCHEME}$v=${FORMAT_VERSION}$i=${iterations}$${bytesToBase64Url(salt)}$${bytesToBase64Url(hash)}`;
}

/**
 * Hashes a password with a fresh 16-byte random salt.
 * Length policy is the caller's job (see {@link MIN_PASSWORD_LENGTH}); this only hashes.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, PBKDF2_ITERATIONS, KEY_BYTES);
  return encode(PBKDF2_ITERATIONS, salt, hash);
}

/**
 * Checks a password against an encoded hash using the iterations, salt and length stored in
 * it. Returns false for a wrong password and for any malformed or unsupported hash; never
 * throws, so a corrupt row cannot turn a login into a 500.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  try {
    if (typeof password !== 'string') return false;
    const parsed = parse(encoded);
    if (!parsed) return false;
    const candidate = await derive(password, parsed.salt, parsed.iterations, parsed.hash.length);
    return timingSafeEqual(candidate, parsed.hash);
  } catch {
    return false;
  }
}

/**
 * True when a stored hash should be replaced after the next successful login: it uses an
 * older format or cost, or cannot be parsed at all.
 */
export function needsRehash(encoded: string): boolean {
  const parsed = parse(encoded);
  if (!parsed) return true;
  return (
    parsed.iterations !== PBKDF2_ITERATIONS || parsed.salt.length !== SALT_BYTES || parsed.hash.length !== KEY_BYTES
  );
}

/**
 * A real hash of a random, discarded password, with the production cost. Verifying against
 * it costs the same as verifying a real user's hash, which hides whether an email exists.
 */
export const DUMMY_PASSWORD_HASH =
  '$pbkdf2-sha256$v=1$i=100000$MJ-qrlh1evG4BK0qnT27Lw$Q8ec2PyJdpBs4sriItDUXw3eohlV-gItnB-Gh4lrZBQ';

/**
 * Burns the same PBKDF2 work as {@link verifyPassword} and always returns false. Call it on
 * the unknown-email path of login so response time does not reveal which emails exist.
 */
export async function verifyDummy(password: string): Promise<false> {
  await verifyPassword(typeof password === 'string' ? password : '', DUMMY_PASSWORD_HASH);
  return false;
}
