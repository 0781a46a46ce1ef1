import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  needsRehash,
  PBKDF2_ITERATIONS,
  timingSafeEqual,
  verifyDummy,
  verifyPassword,
} from './password';

// Independent vectors computed with Python's hashlib.pbkdf2_hmac('sha256', ...), salt = bytes 0..15.
const VECTOR_PASSWORD = 'correct horse battery staple';
const VECTOR_100K = '$pbkdf2-sha256$v=1$i=100000$AAECAwQFBgcICQoLDA0ODw$SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKh4';
const VECTOR_4096 = '$pbkdf2-sha256$v=1$i=4096$AAECAwQFBgcICQoLDA0ODw$xBIKCXrlo8ePcCxMinGbwvwO3gODLPkVyo2W2gmmj2Y';
const UNICODE_PASSWORD = 'Crème brûlée 🔐';
const UNICODE_VECTOR_1000 =
  '$pbkdf2-sha256$v=1$i=1000$AAECAwQFBgcICQoLDA0ODw$9moA-As4W05LOzQ8MJ2H68nG7dv0UqmtlwOpvgW9WnY';

const FORMAT_RE = /^\$pbkdf2-sha256\$v=1\$i=100000\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

function b64urlToBytes(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('constants', () => {
  it('pins the policy values', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(10);
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });
});

describe('timingSafeEqual', () => {
  it('is true only for identical bytes', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([0, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    // Differences in every bit position are caught, not only the low ones.
    for (let bit = 0; bit < 8; bit++) {
      expect(timingSafeEqual(new Uint8Array([0]), new Uint8Array([1 << bit]))).toBe(false);
    }
  });
});

describe('hashPassword', () => {
  it('produces the versioned format with a 16-byte salt and 32-byte key', async () => {
    const encoded = await hashPassword('a long enough password');
    const match = FORMAT_RE.exec(encoded);
    expect(match).not.toBeNull();
    expect(b64urlToBytes(match?.[1] ?? '').length).toBe(16);
    expect(b64urlToBytes(match?.[2] ?? '').length).toBe(32);
  });

  it('salts every hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
  });

  it('derives with PBKDF2-SHA256, 100k iterations, 256 bits', async () => {
    const spy = vi.spyOn(crypto.subtle, 'deriveBits');
    await hashPassword('observe my parameters');
    expect(spy).toHaveBeenCalledTimes(1);
    const [params, , length] = spy.mock.calls[0] ?? [];
    expect(params).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256', iterations: 100_000 });
    expect(length).toBe(256);
  });
});

describe('verifyPassword', () => {
  it('round-trips a fresh hash and refuses near misses', async () => {
    const encoded = await hashPassword('Tr0ub4dor&3-extended');
    expect(await verifyPassword('Tr0ub4dor&3-extended', encoded)).toBe(true);
    expect(await verifyPassword('tr0ub4dor&3-extended', encoded)).toBe(false);
    expect(await verifyPassword('Tr0ub4dor&3-extended ', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('matches an independently computed vector', async () => {
    expect(await verifyPassword(VECTOR_PASSWORD, VECTOR_100K)).toBe(true);
    expect(await verifyPassword(`${VECTOR_PASSWORD}!`, VECTOR_100K)).toBe(false);
  });

  it('takes the iteration count from the stored string', async () => {
    expect(await verifyPassword(VECTOR_PASSWORD, VECTOR_4096)).toBe(true);
    // Same salt and key, but claiming the other iteration count, must fail.
    expect(await verifyPassword(VECTOR_PASSWORD, VECTOR_4096.replace('i=4096', 'i=100000'))).toBe(false);
  });

  it('normalises Unicode so composed and decomposed input match', async () => {
    expect(await verifyPassword(UNICODE_PASSWORD.normalize('NFC'), UNICODE_VECTOR_1000)).toBe(true);
    expect(await verifyPassword(UNICODE_PASSWORD.normalize('NFD'), UNICODE_VECTOR_1000)).toBe(true);
    expect(await verifyPassword('Creme brulee 🔐', UNICODE_VECTOR_1000)).toBe(false);
  });

  it('refuses a tampered hash or salt', async () => {
    const [pre, hash] = [VECTOR_100K.slice(0, -43), VECTOR_100K.slice(-43)];
    const flippedHash = `${pre}${hash[0] === 'A' ? 'B' : 'A'}${hash.slice(1)}`;
    expect(await verifyPassword(VECTOR_PASSWORD, flippedHash)).toBe(false);
    const flippedSalt = VECTOR_100K.replace('AAECAwQF', 'AQECAwQF');
    expect(await verifyPassword(VECTOR_PASSWORD, flippedSalt)).toBe(false);
  });

  it('returns false, never throws, on malformed or unsupported hashes', async () => {
    const salt = 'AAECAwQFBgcICQoLDA0ODw';
    const hash = 'SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKh4';
    const bad: unknown[] = [
      '',
      'garbage',
      '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      `$pbkdf2-sha512$v=1$i=100000$${salt}$${hash}`,
      `$pbkdf2-sha256$v=2$i=100000$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=0$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=999$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=100001$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=9999999$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=1e5$${salt}$${hash}`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}$${hash}$extra`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}$${hash.slice(0, 20)}`,
      `$pbkdf2-sha256$v=1$i=100000$AAECAwQFBgcICQoL$${hash}`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}$${hash.replace('S', '+')}`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}$${hash}=`,
      `$pbkdf2-sha256$v=1$i=100000$${salt}$${hash.slice(0, -1)}5`,
      ` ${VECTOR_100K}`,
      `${VECTOR_100K}\n`,
      null,
      undefined,
      42,
      {},
    ];
    for (const encoded of bad) {
      await expect(verifyPassword(VECTOR_PASSWORD, encoded as string), String(encoded)).resolves.toBe(false);
    }
  });

  it('returns false for a non-string password instead of throwing', async () => {
    await expect(verifyPassword(undefined as unknown as string, VECTOR_100K)).resolves.toBe(false);
  });
});

describe('needsRehash', () => {
  it('is false for a current hash', async () => {
    expect(needsRehash(await hashPassword('current settings'))).toBe(false);
    expect(needsRehash(VECTOR_100K)).toBe(false);
  });

  it('is true for weaker settings or unparseable strings', () => {
    expect(needsRehash(VECTOR_4096)).toBe(true);
    expect(needsRehash(UNICODE_VECTOR_1000)).toBe(true);
    expect(needsRehash('')).toBe(true);
    expect(needsRehash('$2b$10$whatever')).toBe(true);
  });
});

describe('dummy verification', () => {
  it('uses a well-formed hash at the current cost', () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(FORMAT_RE);
    expect(needsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
  });

  it('always answers false', async () => {
    expect(await verifyDummy('anything at all')).toBe(false);
    expect(await verifyDummy('')).toBe(false);
  });

  it('performs the same PBKDF2 work as a real verification', async () => {
    const spy = vi.spyOn(crypto.subtle, 'deriveBits');
    const real = await hashPassword('someone real');
    spy.mockClear();
    await verifyPassword('wrong guess', real);
    await verifyDummy('wrong guess');
    expect(spy).toHaveBeenCalledTimes(2);
    const [realCall, dummyCall] = spy.mock.calls;
    expect(dummyCall?.[0]).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256', iterations: PBKDF2_ITERATIONS });
    expect(dummyCall?.[0]).toMatchObject({
      iterations: (realCall?.[0] as { iterations?: number } | undefined)?.iterations,
    });
    expect(dummyCall?.[2]).toBe(realCall?.[2]);
  });
});
