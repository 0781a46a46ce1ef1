/**
 * What Postgres can store. `text` refuses the NUL character, and `jsonb` refuses `\u0000` and unpaired
 * surrogate escapes (which is how `JSON.stringify` writes a lone surrogate). The edge refuses such values
 * per event, so that nothing acknowledged with a 202 can fail at insert time; dead letters, whose content
 * is not ours to refuse, are made storable with `toStorableText` instead.
 */

/** A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the NUL character is this pattern's purpose.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_GLOBAL = new RegExp(UNSTORABLE.source, 'g');

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the string holds a surrogate without its pair, which UTF-8 encoders replace by U+FFFD. */
export function hasUnpairedSurrogate(value: string): boolean {
  return UNPAIRED_SURROGATE.test(value);
}

/** Why Postgres would refuse this string, or null when it stores as is. */
export function unstorableReason(value: string): string | null {
  const match = UNSTORABLE.exec(value);
  if (match === null) return null;
  return match[0] === '\u0000'
    ? 'must not contain the NUL character (\\u0000)'
    : 'must not contain an unpaired UTF-16 surrogate';
}

/** One unstorable value inside a JSON value: its dotted path (relative to the root) and the reason. */
export interface UnstorableValue {
  path: string;
  message: string;
}

/**
 * Finds the first key or string inside a parsed JSON value that Postgres would refuse. Iterative, so a
 * deep value cannot overflow the stack; callers bound the depth beforehand.
 */
export function findUnstorable(value: unknown, rootPath = ''): UnstorableValue | null {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: rootPath }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, path } = item;
    if (typeof node === 'string') {
      const reason = unstorableReason(node);
      if (reason !== null) return { path, message: reason };
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) stack.push({ node: node[i], path: join(path, String(i)) });
    } else if (typeof node === 'object' && node !== null) {
      for (const key of Object.keys(node)) {
        const keyReason = unstorableReason(key);
        const keyPath = join(path, key);
        if (keyReason !== null) return { path: keyPath, message: `key ${keyReason}` };
        stack.push({ node: (node as Record<string, unknown>)[key], path: keyPath });
      }
    }
  }
  return null;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Replaces each NUL and unpaired surrogate with U+FFFD, so any text can be stored (dead letters, reasons). */
export function toStorableText(value: string): string {
  return UNSTORABLE.test(value) ? value.replace(UNSTORABLE_GLOBAL, '\ufffd') : value;
}
