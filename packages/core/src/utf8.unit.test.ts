import { describe, expect, it } from 'vitest';
import { utf8AtMost, utf8Length } from './utf8';

const encoded = (s: string) => new TextEncoder().encode(s).length;

describe('utf8Length', () => {
  it('counts what TextEncoder produces, lone surrogates included', () => {
    for (const s of ['', 'plain', 'é', '€', '😀', 'a\ud800b', '\udc00', 'x\ud83d', 'mixé€😀'.repeat(50)]) {
      expect(utf8Length(s)).toBe(encoded(s));
    }
  });
});

describe('utf8AtMost', () => {
  it('agrees with the exact count on both sides of the limit', () => {
    const texts = ['a'.repeat(10), 'é'.repeat(10), '€'.repeat(10), '😀'.repeat(5), `${'a'.repeat(5)}€€`];
    for (const s of texts) {
      const bytes = encoded(s);
      for (const limit of [0, bytes - 1, bytes, bytes + 1, s.length, s.length * 3]) {
        expect(utf8AtMost(s, limit), `${JSON.stringify(s)} within ${limit}`).toBe(bytes <= limit);
      }
    }
  });
});
