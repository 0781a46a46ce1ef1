/**
 * Tenant slugs: short, URL-safe, lowercase ASCII identifiers derived from a display name.
 */

/** Shortest slug. */
export const SLUG_MIN_LENGTH = 3;
/** Longest slug, suffix included. */
export const SLUG_MAX_LENGTH = 48;
/** Used when a name has no usable characters at all (emoji only, CJK only, punctuation). */
export const SLUG_FALLBACK = 'tenant';

/** Shape of every slug produced here: lowercase alphanumerics in hyphen-separated runs. */
export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

// Letters NFKD does not decompose into an ASCII base letter plus marks.
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ø: 'o',
  Ø: 'o',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  Ð: 'd',
  þ: 'th',
  Þ: 'th',
  ł: 'l',
  Ł: 'l',
  ı: 'i',
};
const TRANSLITERATE_RE = /[ßẞæÆœŒøØđĐðÐþÞłŁı]/g;

function trimToLength(slug: string, max: number): string {
  // Cutting can leave a trailing hyphen; strip it so the result still matches SLUG_RE.
  return slug.slice(0, max).replace(/-+$/, '');
}

/** Whether a string is a well-formed slug of allowed length. */
export function isValidSlug(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= SLUG_MIN_LENGTH &&
    value.length <= SLUG_MAX_LENGTH &&
    SLUG_RE.test(value)
  );
}

/**
 * Turns a display name into a slug: diacritics stripped (NFKD), lowercase ASCII letters and
 * digits, every other run of characters collapsed to one hyphen, 3..48 characters. Names
 * that are too short are padded with `-tenant`; names with nothing usable become `tenant`.
 */
export function slugify(name: string): string {
  const text = typeof name === 'string' ? name : '';
  const base = trimToLength(
    text
      .replace(TRANSLITERATE_RE, (ch) => TRANSLITERATIONS[ch] ?? '')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, ''),
    SLUG_MAX_LENGTH,
  );
  if (base.length === 0) return SLUG_FALLBACK;
  if (base.length < SLUG_MIN_LENGTH) return `${base}-${SLUG_FALLBACK}`;
  return base;
}

/**
 * Candidate slug for the n-th uniqueness retry: `<base>-<n>`, with the base shortened so the
 * whole stays within 48 characters. The base is re-slugified, so any input yields a valid slug.
 * @throws RangeError if n is not a positive safe integer.
 */
export function slugWithSuffix(base: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`slugWithSuffix: n must be a positive integer, got ${n}`);
  }
  const suffix = `-${n}`;
  const head = trimToLength(slugify(base), SLUG_MAX_LENGTH - suffix.length);
  return `${head}${suffix}`;
}
