import { Gzip, gunzipSync, gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  crc32,
  gunzipBounded,
  gunzipStreamBounded,
  InvalidGzipError,
  readStreamBounded,
} from './bounded-gunzip';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** CRC-32 of `n` zero bytes in O(log n): the per-byte update is linear over GF(2), so square its matrix. */
function crc32OfZeros(n: number): number {
  const step = (c: number): number => {
    let x = c;
    for (let k = 0; k < 8; k++) x = x & 1 ? 0xedb88320 ^ (x >>> 1) : x >>> 1;
    return x >>> 0;
  };
  type Matrix = number[]; // column i = image of bit i
  const apply = (m: Matrix, v: number): number => {
    let r = 0;
    for (let i = 0; i < 32; i++) if ((v >>> i) & 1) r ^= m[i] ?? 0;
    return r >>> 0;
  };
  const compose = (a: Matrix, b: Matrix): Matrix => b.map((col) => apply(a, col));
  let power: Matrix = Array.from({ length: 32 }, (_, i) => step((2 ** i) >>> 0));
  let result: Matrix = Array.from({ length: 32 }, (_, i) => (2 ** i) >>> 0);
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = compose(power, result);
    power = compose(power, power);
  }
  return ~apply(result, 0xffffffff) >>> 0;
}

/**
 * A gzip member that inflates to `size` zero bytes, built directly as DEFLATE bits.
 *
 * One dynamic-Huffman block whose tree gives the length symbol 285 (258 bytes) a
 * 1-bit code and distance 1 a 1-bit code, so each 258-byte copy costs 2 bits
 * (the 1032:1 maximum). Encoding 1 GiB through fflate's Gzip takes ~10 s, this
 * takes milliseconds and never materializes the output.
 */
function zeroBomb(size: number): Uint8Array {
  const copies = Math.floor((size - 1) / 258);
  const extraLiterals = size - 1 - copies * 258;
  const bodyBits = 200 + 2 * copies + 2 * extraLiterals;
  const out = new Uint8Array(10 + Math.ceil(bodyBits / 8) + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let bit = 10 * 8;
  const write = (value: number, n: number): void => {
    for (let i = 0; i < n; i++, bit++) {
      if ((value >>> i) & 1) out[bit >>> 3] = (out[bit >>> 3] ?? 0) | (1 << (bit & 7));
    }
  };
  // Huffman codes are sent most-significant bit first.
  const code = (value: number, n: number): void => {
    for (let i = n - 1; i >= 0; i--) write((value >>> i) & 1, 1);
  };
  write(1, 1); // BFINAL
  write(2, 2); // dynamic Huffman
  write(29, 5); // HLIT: 286 literal/length codes
  write(0, 5); // HDIST: 1 distance code
  write(14, 4); // HCLEN: 18 code-length codes
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  const clLengths: Record<number, number> = { 18: 1, 1: 2, 2: 2 };
  for (const sym of order) write(clLengths[sym] ?? 0, 3);
  // Code-length codes: 18 → 0, 1 → 10, 2 → 11.
  const cl1 = () => code(0b10, 2);
  const cl2 = () => code(0b11, 2);
  const zeros = (n: number) => {
    code(0, 1);
    write(n - 11, 7);
  };
  cl2(); // literal 0: length 2
  zeros(138);
  zeros(117); // literals 1..255 unused
  cl2(); // end of block: length 2
  zeros(28); // lengths 257..284 unused
  cl1(); // length 258 (symbol 285): length 1
  cl1(); // distance 1 (code 0): length 1
  // Literal/length codes: 285 → 0, literal 0 → 10, end of block → 11. Distance 0 → 0.
  code(0b10, 2); // the first zero byte
  bit += 2 * copies; // each copy is two 0 bits; the buffer is already zero
  for (let i = 0; i < extraLiterals; i++) code(0b10, 2);
  code(0b11, 2);
  const end = 10 + Math.ceil((bit - 80) / 8);
  const trailer = new DataView(out.buffer, end, 8);
  trailer.setUint32(0, crc32OfZeros(size), true);
  trailer.setUint32(4, size % 2 ** 32, true);
  return out.subarray(0, end + 8);
}

function streamOf(data: Uint8Array, chunk: number, onPull?: (bytes: number) => void, onCancel?: () => void) {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      const piece = data.slice(at, at + chunk);
      at += piece.length;
      onPull?.(piece.length);
      controller.enqueue(piece);
    },
    cancel() {
      onCancel?.();
    },
  });
}

/** Byte equality without vitest's deep-equality cost on large typed arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sample(size: number, seed = 1): Uint8Array {
  // Compressible but not trivial: JSON-ish text with pseudo-random numbers.
  const enc = new TextEncoder();
  let s = '';
  let x = seed;
  while (s.length < size) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    s += `{"source":"svc-${x % 17}","latencyMs":${x % 1000},"status":${200 + (x % 4) * 100}},`;
  }
  return enc.encode(s.slice(0, size));
}

describe('test helpers', () => {
  it('crc32OfZeros agrees with the byte-wise CRC', () => {
    for (const n of [0, 1, 7, 1000, 65_537]) expect(crc32OfZeros(n)).toBe(crc32(new Uint8Array(n)));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('zeroBomb builds a valid gzip stream (checked by fflate and by trailer)', () => {
    for (const size of [1, 258, 259, 5000, 3 * MiB + 17]) {
      const bomb = zeroBomb(size);
      const viaFflate = gunzipSync(bomb);
      expect(viaFflate.length).toBe(size);
      expect(viaFflate.every((b) => b === 0)).toBe(true);
      expect(gunzipBounded(bomb, size).length).toBe(size);
    }
    const oneGiB = zeroBomb(GiB);
    expect(oneGiB.length).toBeLessThan(1.1 * MiB);
    expect(oneGiB.length).toBeGreaterThan(GiB / 1032);
  });
});

describe('gunzipBounded', () => {
  it('round-trips data compressed by fflate, at several chunk sizes', () => {
    const data = sample(200_000);
    const gz = gzipSync(data, { level: 6 });
    for (const chunk of [1024, 16_384, 1 << 22]) expect(sameBytes(gunzipBounded(gz, MiB, chunk), data)).toBe(true);
    // Tiny pieces exercise header parsing split across pushes.
    const small = sample(3000);
    for (const chunk of [1, 3, 13])
      expect(sameBytes(gunzipBounded(gzipSync(small, { filename: 'x.json' }), MiB, chunk), small)).toBe(true);
  });

  it('accepts headers with optional fields and an empty payload', () => {
    const data = sample(5000);
    expect(
      sameBytes(gunzipBounded(gzipSync(data, { filename: 'events.json', mtime: 1_700_000_000_000 }), MiB), data),
    ).toBe(true);
    expect(gunzipBounded(gzipSync(new Uint8Array(0)), MiB)).toEqual(new Uint8Array(0));
  });

  it('allows exactly maxBytes and refuses one byte more', () => {
    const data = sample(10_000);
    const gz = gzipSync(data);
    expect(gunzipBounded(gz, 10_000).length).toBe(10_000);
    const error = (() => {
      try {
        gunzipBounded(gz, 9_999);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).limit).toBe(9_999);
  });

  it('refuses a 1 GiB gzip bomb at the 1 MiB limit', () => {
    const bomb = zeroBomb(GiB);
    expect(() => gunzipBounded(bomb, MiB)).toThrow(BodyTooLargeError);
    // A larger chunk size must not change the outcome either.
    expect(() => gunzipBounded(bomb, MiB, 1 << 20)).toThrow(BodyTooLargeError);
  });

  it('refuses a bomb built by fflate streaming Gzip', () => {
    // 16 MiB of zeros through fflate's own encoder (1 GiB takes ~10 s; zeroBomb covers that size).
    const parts: Uint8Array[] = [];
    const gz = new Gzip({ level: 9 }, (chunk) => parts.push(chunk));
    const zeros = new Uint8Array(MiB);
    for (let i = 0; i < 16; i++) gz.push(zeros, i === 15);
    const bomb = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bomb.set(p, at);
      at += p.length;
    }
    expect(() => gunzipBounded(bomb, MiB)).toThrow(BodyTooLargeError);
    expect(gunzipBounded(bomb, 16 * MiB).length).toBe(16 * MiB);
  });

  it('detects truncation at every position', () => {
    const gz = gzipSync(sample(3000));
    for (let cut = 0; cut < gz.length; cut++) {
      expect(() => gunzipBounded(gz.subarray(0, cut), MiB), `cut at ${cut}`).toThrow(InvalidGzipError);
    }
  });

  it('detects corruption, a bad CRC, trailing garbage, multiple members and non-gzip input', () => {
    const data = sample(20_000);
    const gz = gzipSync(data);
    const flipped = gz.slice();
    flipped[30] = (flipped[30] ?? 0) ^ 0xff;
    expect(() => gunzipBounded(flipped, MiB)).toThrow(InvalidGzipError);

    const badCrc = gz.slice();
    badCrc[gz.length - 6] = (badCrc[gz.length - 6] ?? 0) ^ 0x01;
    expect(() => gunzipBounded(badCrc, MiB)).toThrow(/trailer/);

    const badSize = gz.slice();
    badSize[gz.length - 1] = (badSize[gz.length - 1] ?? 0) ^ 0x01;
    expect(() => gunzipBounded(badSize, MiB)).toThrow(InvalidGzipError);

    for (const extra of [[0], [1, 2], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]]) {
      const trailing = new Uint8Array(gz.length + extra.length);
      trailing.set(gz);
      trailing.set(extra, gz.length);
      expect(() => gunzipBounded(trailing, MiB), `extra ${extra.length}`).toThrow(InvalidGzipError);
    }

    const two = new Uint8Array(gz.length * 2);
    two.set(gz);
    two.set(gz, gz.length);
    expect(() => gunzipBounded(two, MiB)).toThrow(/multi-member/);

    expect(() => gunzipBounded(new TextEncoder().encode('{"source":"plain json, not gzip"}'), MiB)).toThrow(
      InvalidGzipError,
    );
    expect(() => gunzipBounded(new Uint8Array(0), MiB)).toThrow(InvalidGzipError);
  });

  it('rejects bad limits', () => {
    expect(() => gunzipBounded(gzipSync(sample(10)), -1)).toThrow(RangeError);
    expect(() => gunzipBounded(gzipSync(sample(10)), 100, 0)).toThrow(RangeError);
  });
});

describe('gunzipStreamBounded', () => {
  it('decompresses a chunked stream', async () => {
    const data = sample(300_000, 7);
    const gz = gzipSync(data);
    // 1-byte chunks are staged into larger pieces, so dripping input still decodes correctly.
    for (const chunk of [1, 5, 4096, gz.length]) {
      expect(sameBytes(await gunzipStreamBounded(streamOf(gz, chunk), MiB), data)).toBe(true);
    }
  });

  it('decompresses output of the platform CompressionStream', async () => {
    const data = sample(100_000, 3);
    const compressed = new Blob([data]).stream().pipeThrough(new CompressionStream('gzip'));
    const gz = new Uint8Array(await new Response(compressed).arrayBuffer());
    expect(sameBytes(await gunzipStreamBounded(streamOf(gz, 1000), MiB), data)).toBe(true);
  });

  it('stops decompressing a 1 GiB bomb early and, with no drain allowance, cancels the stream', async () => {
    const bomb = zeroBomb(GiB);
    let pulled = 0;
    let cancelled = false;
    const stream = streamOf(
      bomb,
      16_384,
      (n) => {
        pulled += n;
      },
      () => {
        cancelled = true;
      },
    );
    await expect(gunzipStreamBounded(stream, MiB, undefined, 0)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(cancelled).toBe(true);
    // ~1 KiB of bomb inflates to 1 MiB; allow for read-ahead, but far less than the ~1 MiB body.
    expect(pulled).toBeLessThan(64 * 1024);
    expect(pulled).toBeGreaterThan(0);
  });

  it('drains the rest of a refused body (without inflating it) so the connection can serve the next request', async () => {
    const bomb = zeroBomb(GiB);
    let pulled = 0;
    let cancelled = false;
    const stream = streamOf(
      bomb,
      16_384,
      (n) => {
        pulled += n;
      },
      () => {
        cancelled = true;
      },
    );
    await expect(gunzipStreamBounded(stream, MiB)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(cancelled).toBe(false);
    expect(pulled).toBe(bomb.length);
  });

  it('rejects a truncated stream', async () => {
    const gz = gzipSync(sample(50_000));
    await expect(gunzipStreamBounded(streamOf(gz.subarray(0, gz.length - 3), 100), MiB)).rejects.toBeInstanceOf(
      InvalidGzipError,
    );
  });
});

describe('readStreamBounded', () => {
  it('reads up to the limit and refuses more, cancelling the stream past the drain allowance', async () => {
    const data = sample(10_000);
    expect(sameBytes(await readStreamBounded(streamOf(data, 999), 10_000), data)).toBe(true);
    let cancelled = false;
    let pulled = 0;
    const big = streamOf(
      sample(100_000),
      1000,
      (n) => {
        pulled += n;
      },
      () => {
        cancelled = true;
      },
    );
    await expect(readStreamBounded(big, 10_000, 5_000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(20_000);
  });

  it('drains a refused body within the allowance to its end, without cancelling', async () => {
    let cancelled = false;
    let pulled = 0;
    const body = streamOf(
      sample(100_000),
      1000,
      (n) => {
        pulled += n;
      },
      () => {
        cancelled = true;
      },
    );
    await expect(readStreamBounded(body, 10_000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(cancelled).toBe(false);
    expect(pulled).toBe(100_000);
  });
});
