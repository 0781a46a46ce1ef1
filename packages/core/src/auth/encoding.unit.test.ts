import { describe, expect, it } from 'vitest';
import { base64UrlToBytes, bytesToBase64Url, randomBytes } from './encoding';

const enc = new TextEncoder();

describe('base64url', () => {
  it('matches RFC 4648 vectors without padding', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(bytesToBase64Url(enc.encode(plain))).toBe(encoded);
      expect(base64UrlToBytes(encoded)).toEqual(enc.encode(plain));
    }
  });

  it('uses the URL-safe alphabet', () => {
    expect(bytesToBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(base64UrlToBytes('-_-_')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
  });

  it('round-trips every byte value and large inputs', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64UrlToBytes(bytesToBase64Url(all))).toEqual(all);
    const big = randomBytes(100_000);
    expect(base64UrlToBytes(bytesToBase64Url(big))).toEqual(big);
  });

  it('rejects non-canonical or foreign input with null', () => {
    for (const bad of ['Zg==', 'Z', 'Zm9v+', 'Zm9v/', 'Zm 9v', 'Zh', 'Zm9w!', '=']) {
      expect(base64UrlToBytes(bad), bad).toBeNull();
    }
  });
});

describe('randomBytes', () => {
  it('returns the requested length beyond the 64 KiB getRandomValues cap', () => {
    const bytes = randomBytes(70_000);
    expect(bytes.length).toBe(70_000);
    // The tail past the first chunk must be filled too (all zero would mean it was skipped).
    expect(bytes.subarray(65_536).some((b) => b !== 0)).toBe(true);
  });

  it('differs between calls', () => {
    expect(bytesToBase64Url(randomBytes(16))).not.toBe(bytesToBase64Url(randomBytes(16)));
  });
});
