import { describe, expect, it } from 'vitest';
import { isValidSlug, SLUG_MAX_LENGTH, slugify, slugWithSuffix } from './slug';

describe('slugify', () => {
  it.each([
    ['Acme Corp', 'acme-corp'],
    ['  ACME   Corp!!  ', 'acme-corp'],
    ['acme_corp.io', 'acme-corp-io'],
    ['Café Déjà Vu', 'cafe-deja-vu'],
    ['Ångström Łódź', 'angstrom-lodz'],
    ['Straße & Söhne', 'strasse-sohne'],
    ['Ærø Œuvre', 'aero-oeuvre'],
    ['ﬁnance Ⅻ', 'finance-xii'],
    ['Team 42', 'team-42'],
    ['--leading--and--trailing--', 'leading-and-trailing'],
    ['a/b\\c', 'a-b-c'],
  ])('%j → %j', (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });

  it('strips decomposed and precomposed accents alike', () => {
    expect(slugify('Crème'.normalize('NFD'))).toBe('creme');
    expect(slugify('Crème'.normalize('NFC'))).toBe('creme');
  });

  it('falls back to "tenant" when nothing usable remains', () => {
    for (const input of ['', '   ', '!!!', '🚀🚀', '株式会社', 'Ωμέγα'.replace(/./g, '·')]) {
      expect(slugify(input), input).toBe('tenant');
    }
  });

  it('pads slugs shorter than 3 characters', () => {
    expect(slugify('X')).toBe('x-tenant');
    expect(slugify('AB')).toBe('ab-tenant');
    expect(slugify('abc')).toBe('abc');
  });

  it('caps length at 48 without a trailing hyphen', () => {
    const long = slugify('word '.repeat(40));
    expect(long.length).toBeLessThanOrEqual(SLUG_MAX_LENGTH);
    expect(long.endsWith('-')).toBe(false);
    expect(long.startsWith('word-word')).toBe(true);
    expect(slugify('a'.repeat(100))).toBe('a'.repeat(48));
    // Cut lands right after a hyphen: 47 chars + '-' + more.
    expect(slugify(`${'b'.repeat(47)} tail`)).toBe('b'.repeat(47));
  });

  it('is idempotent and always yields a valid slug', () => {
    const samples = ['Acme', 'x', '', 'Ünïcödé Tëst', 'a'.repeat(80), '1 2 3', 'tenant', '--', 'İstanbul'];
    for (const input of samples) {
      const slug = slugify(input);
      expect(isValidSlug(slug), `${input} → ${slug}`).toBe(true);
      expect(slugify(slug)).toBe(slug);
    }
  });

  it('treats non-strings as empty', () => {
    expect(slugify(undefined as unknown as string)).toBe('tenant');
  });
});

describe('slugWithSuffix', () => {
  it('appends -n', () => {
    expect(slugWithSuffix('acme', 2)).toBe('acme-2');
    expect(slugWithSuffix('acme-corp', 17)).toBe('acme-corp-17');
  });

  it('keeps the total within 48 characters', () => {
    const base = 'a'.repeat(48);
    expect(slugWithSuffix(base, 2)).toBe(`${'a'.repeat(46)}-2`);
    expect(slugWithSuffix(base, 12345)).toBe(`${'a'.repeat(42)}-12345`);
    for (const n of [1, 9, 10, 999, 1_000_000]) {
      const slug = slugWithSuffix(base, n);
      expect(slug.length).toBeLessThanOrEqual(SLUG_MAX_LENGTH);
      expect(isValidSlug(slug)).toBe(true);
    }
  });

  it('does not leave a double hyphen when truncation hits a hyphen', () => {
    const base = `${'a'.repeat(45)}-bbb`; // 49 → slugify keeps 48, suffix cut lands on the hyphen
    const slug = slugWithSuffix(base, 2);
    expect(slug).toBe(`${'a'.repeat(45)}-2`);
    expect(isValidSlug(slug)).toBe(true);
  });

  it('normalises a raw base first', () => {
    expect(slugWithSuffix('Acme Corp', 3)).toBe('acme-corp-3');
    expect(slugWithSuffix('', 2)).toBe('tenant-2');
  });

  it('rejects non-positive or fractional n', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => slugWithSuffix('acme', n)).toThrow(RangeError);
  });
});

describe('isValidSlug', () => {
  it('accepts well-formed slugs and rejects the rest', () => {
    expect(isValidSlug('acme')).toBe(true);
    expect(isValidSlug('a-b-c')).toBe(true);
    for (const bad of ['ab', 'Acme', 'acme-', '-acme', 'a--b', 'a_b', 'a'.repeat(49), 'café', 42]) {
      expect(isValidSlug(bad), String(bad)).toBe(false);
    }
  });
});
