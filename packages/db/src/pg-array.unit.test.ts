import { describe, expect, it } from 'vitest';
import { numberArrayLiteral, textArrayLiteral } from './pg-array';

// The driver's own encoder (pg's arrayString), the reference the literals must equal in meaning: every element
// quoted, `\` and `"` escaped, null as NULL.
function driverLiteral(values: readonly unknown[]): string {
  const esc = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `{${values.map((v) => (v === null || v === undefined ? 'NULL' : esc(String(v)))).join(',')}}`;
}

describe('textArrayLiteral', () => {
  it('equals the driver encoding for plain and tricky strings', () => {
    const cases: unknown[][] = [
      ['a', 'b c', 'POST /v1/x', ''],
      ['NULL', 'null', '{', '}', ',', ' lead', 'trail ', 'üñï', '😀'],
      ['"q"', 'back\\slash', '\\"', 'x', null, undefined],
      [null],
      ['only'],
    ];
    for (const values of cases) expect(textArrayLiteral(values)).toBe(driverLiteral(values));
  });
  it('quotes a non-string as text, so it can never split into elements', () => {
    expect(textArrayLiteral(['a', 12 as unknown as string])).toBe('{"a","12"}');
    expect(textArrayLiteral([{ toString: () => 'x,y' }])).toBe('{"x,y"}');
  });
  it('writes the empty array', () => {
    expect(textArrayLiteral([])).toBe('{}');
  });
});

describe('numberArrayLiteral', () => {
  it('writes the shortest round-trip digits, unquoted, and NULL', () => {
    expect(numberArrayLiteral([1, 2.5, -0.1, 1e21, 5 + 1 / 3, null, undefined])).toBe(
      `{1,2.5,-0.1,1e+21,${String(5 + 1 / 3)},NULL,NULL}`,
    );
    for (const v of [0.1, 1 / 3, 1e-300, 1.7976931348623157e308, 1_700_000_000_123])
      expect(Number(numberArrayLiteral([v]).slice(1, -1))).toBe(v);
  });
  it('quotes anything but a number, so a malformed value fails its cast instead of adding elements', () => {
    expect(numberArrayLiteral(['1,2' as unknown as number])).toBe('{"1,2"}');
    expect(numberArrayLiteral(['a"b' as unknown as number])).toBe('{"a\\"b"}');
  });
});
