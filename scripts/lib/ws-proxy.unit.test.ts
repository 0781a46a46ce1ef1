import { describe, expect, it } from 'vitest';
import { FrontendMessageScanner } from './ws-proxy';

const int32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const startup = () => {
  const params = new TextEncoder().encode('user\0postgres\0database\0postgres\0\0');
  return concat(int32(8 + params.length), int32(196608), params);
};
const sslRequest = () => concat(int32(8), int32(80877103));
const typed = (type: string, payload: Uint8Array) =>
  concat(new Uint8Array([type.charCodeAt(0)]), int32(4 + payload.length), payload);
const query = (q: string) => typed('Q', new TextEncoder().encode(`${q}\0`));
const terminate = () => typed('X', new Uint8Array());

describe('FrontendMessageScanner', () => {
  it('spots Terminate after startup and queries', () => {
    const s = new FrontendMessageScanner();
    expect(s.feed(startup())).toBe(false);
    expect(s.feed(query('select 1'))).toBe(false);
    expect(s.feed(terminate())).toBe(true);
  });

  it('handles an SSLRequest before the startup message', () => {
    const s = new FrontendMessageScanner();
    expect(s.feed(sslRequest())).toBe(false);
    expect(s.feed(startup())).toBe(false);
    expect(s.feed(terminate())).toBe(true);
  });

  it('is not fooled by an X byte inside a query payload', () => {
    const s = new FrontendMessageScanner();
    s.feed(startup());
    // 'X' followed by a 4-byte length of 4 inside a string literal must not count.
    const tricky = query(`select 'X${String.fromCharCode(0, 0, 0, 4)}'`);
    expect(s.feed(tricky)).toBe(false);
  });

  it('finds Terminate when the stream arrives one byte at a time', () => {
    const s = new FrontendMessageScanner();
    const all = concat(startup(), query('select 1'), terminate());
    let seen = false;
    for (let i = 0; i < all.length; i++) seen = s.feed(all.subarray(i, i + 1)) || seen;
    expect(seen).toBe(true);
  });

  it('finds Terminate pipelined after other messages in one chunk', () => {
    const s = new FrontendMessageScanner();
    expect(s.feed(concat(startup(), query('select 1'), query('select 2'), terminate()))).toBe(true);
  });
});
