import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  API_KEY_PREFIX,
  generateApiKey,
  generateOpaqueToken,
  generateRefreshToken,
  isApiKeyFormat,
  isRefreshTokenFormat,
  randomBase62,
  sha256Hex,
} from './tokens';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('randomBase62', () => {
  it('returns exactly the requested length from the base62 alphabet', () => {
    for (const length of [0, 1, 6, 43, 500]) {
      const value = randomBase62(length);
      expect(value).toHaveLength(length);
      expect(value).toMatch(/^[0-9A-Za-z]*$/);
    }
  });

  it('rejects invalid lengths', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => randomBase62(bad)).toThrow(RangeError);
    }
  });

  it('discards bytes >= 248 instead of folding them with modulo', () => {
    // Scripted randomness: the rejected bytes would otherwise map to '0'..'7'.
    const script = [255, 248, 0, 61, 247, 62, 250, 9];
    let calls = 0;
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      calls++;
      if (array instanceof Uint8Array) {
        for (let i = 0; i < array.length; i++) array[i] = script[i] ?? 255;
      }
      return array;
    });
    // 0→'0', 61→'z', 247→247%62=61→'z', 62→'0', 9→'9'
    expect(randomBase62(5)).toBe('0zz09');
    expect(calls).toBe(1);
  });

  it('keeps drawing until enough bytes survive rejection', () => {
    let calls = 0;
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      calls++;
      if (array instanceof Uint8Array) array.fill(calls < 3 ? 255 : 10);
      return array;
    });
    expect(randomBase62(4)).toBe('AAAA');
    expect(calls).toBe(3);
  });

  it('is close to uniform over 100k characters (chi-square)', () => {
    const sample = randomBase62(100_000);
    const counts = new Map<string, number>();
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = sample.length / 62;
    let chi2 = 0;
    for (const ch of ALPHABET) {
      const observed = counts.get(ch) ?? 0;
      chi2 += (observed - expected) ** 2 / expected;
    }
    // 61 degrees of freedom: mean 61, sd ≈ 11. 130 is ~p=1e-6, while plain `byte % 62`
    // bias would score around 500 at this sample size.
    expect(chi2).toBeLessThan(130);
  });
});

describe('generateApiKey', () => {
  it('has the ps_live_ format with 43 base62 chars and a matching display prefix', () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^ps_live_[0-9A-Za-z]{43}$/);
    expect(prefix).toMatch(/^ps_live_[0-9A-Za-z]{6}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect(API_KEY_PREFIX).toBe('ps_live_');
  });

  it('is unique over 1000 keys, and so are most display prefixes', () => {
    const keys = new Set<string>();
    const prefixes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { key, prefix } = generateApiKey();
      keys.add(key);
      prefixes.add(prefix);
    }
    expect(keys.size).toBe(1000);
    // 62^6 ≈ 5.7e10 prefixes: a collision among 1000 is ~1e-5 likely, a constant prefix is a bug.
    expect(prefixes.size).toBeGreaterThanOrEqual(999);
  });
});

describe('isApiKeyFormat', () => {
  it('accepts generated keys', () => {
    for (let i = 0; i < 20; i++) expect(isApiKeyFormat(generateApiKey().key)).toBe(true);
  });

  it('rejects near misses', () => {
    const good = generateApiKey().key;
    const bad: unknown[] = [
      '',
      'ps_live_',
      good.slice(0, -1),
      `${good}x`,
      good.replace('ps_live_', 'ps_test_'),
      good.replace('ps_live_', 'PS_LIVE_'),
      `${good.slice(0, -1)}-`,
      ` ${good}`,
      `${good}\n`,
      generateRefreshToken(),
      null,
      42,
    ];
    for (const value of bad) expect(isApiKeyFormat(value), String(value)).toBe(false);
  });
});

describe('refresh and opaque tokens', () => {
  it('generates psr_ + 43 base64url chars, unique', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token = generateRefreshToken();
      expect(token).toMatch(/^psr_[A-Za-z0-9_-]{43}$/);
      expect(isRefreshTokenFormat(token)).toBe(true);
      seen.add(token);
    }
    expect(seen.size).toBe(1000);
  });

  it('rejects malformed refresh tokens', () => {
    const good = generateRefreshToken();
    for (const value of [
      '',
      'psr_',
      good.slice(0, -1),
      `${good}A`,
      good.replace('psr_', 'psx_'),
      generateApiKey().key,
      7,
    ]) {
      expect(isRefreshTokenFormat(value), String(value)).toBe(false);
    }
  });

  it('encodes the requested number of bytes', () => {
    expect(generateOpaqueToken()).toHaveLength(43);
    expect(generateOpaqueToken(16)).toHaveLength(22);
    expect(generateOpaqueToken(48)).toHaveLength(64);
    expect(generateOpaqueToken(48)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(generateOpaqueToken()).not.toBe(generateOpaqueToken());
  });

  it('refuses token sizes too small to be secret', () => {
    for (const bad of [0, 8, 15, 16.5, 1025, Number.NaN]) {
      expect(() => generateOpaqueToken(bad)).toThrow(RangeError);
    }
  });
});

describe('sha256Hex', () => {
  it('matches known SHA-256 vectors', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // UTF-8 encoding, not UTF-16 code units.
    expect(await sha256Hex('\u00e9')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('is stable and sensitive to every character', async () => {
    const key = generateApiKey().key;
    expect(await sha256Hex(key)).toBe(await sha256Hex(key));
    expect(await sha256Hex(key)).not.toBe(await sha256Hex(`${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`));
    expect(await sha256Hex(key)).toMatch(/^[0-9a-f]{64}$/);
  });
});
