// Property tests (fast-check) of the body bounds: a gzip body either decompresses to exactly what was
// compressed, or is refused with one of the two documented errors; never other data, never another error.
import fc from 'fast-check';
import { gzipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  gunzipBounded,
  gunzipStreamBounded,
  InvalidGzipError,
  readStreamBounded,
} from './bounded-gunzip';

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  // compressible text, so the output can be far larger than the input
  fc.tuple(fc.string({ maxLength: 20 }), fc.integer({ min: 1, max: 1500 })).map(([s, n]) => strToU8(s.repeat(n))),
);

function streamOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.slice(at, p));
    at = p;
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
}

function outcome(fn: () => Uint8Array): { ok: Uint8Array } | { error: string } {
  try {
    return { ok: fn() };
  } catch (err) {
    if (err instanceof BodyTooLargeError) return { error: 'too-large' };
    if (err instanceof InvalidGzipError) return { error: 'invalid' };
    throw err;
  }
}

describe('bounded gunzip (fast-check)', () => {
  it('decompresses any gzip body within the bound to exactly its content, and refuses it past the bound', () => {
    fc.assert(
      fc.property(
        payload,
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 1, max: 70_000 }),
        (data, max, chunk) => {
          const r = outcome(() => gunzipBounded(gzipSync(data), max, chunk));
          if (data.length <= max) expect(r).toEqual({ ok: new Uint8Array(data) });
          else expect(r).toEqual({ error: 'too-large' });
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('a corrupted or cut gzip body yields the original bytes or a documented refusal, never other data', () => {
    fc.assert(
      fc.property(
        payload,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat()),
        (data, flips, cut) => {
          const gz = gzipSync(data);
          for (const [at, xor] of flips) gz[at % gz.length] = (gz[at % gz.length] ?? 0) ^ xor;
          const body = cut === null ? gz : gz.subarray(0, cut % gz.length);
          const r = outcome(() => gunzipBounded(body, 1 << 20));
          if ('ok' in r) expect(r.ok).toEqual(data);
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('arbitrary bytes are refused with a documented error (or are a valid gzip of something)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        outcome(() => gunzipBounded(bytes, 1 << 20));
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('the stream reader agrees with the one-shot reader however the body is split into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        payload,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 60_000 }),
        async (data, cuts, max) => {
          const gz = gzipSync(data);
          const one = outcome(() => gunzipBounded(gz, max));
          let streamed: { ok: Uint8Array } | { error: string };
          try {
            streamed = { ok: await gunzipStreamBounded(streamOf(gz, cuts), max) };
          } catch (err) {
            if (err instanceof BodyTooLargeError) streamed = { error: 'too-large' };
            else if (err instanceof InvalidGzipError) streamed = { error: 'invalid' };
            else throw err;
          }
          expect(streamed).toEqual(one);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('readStreamBounded returns the exact bytes up to the bound and refuses one byte more, however chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 6000 }),
        async (data, cuts, max) => {
          let r: { ok: Uint8Array } | { error: string };
          try {
            r = { ok: await readStreamBounded(streamOf(data, cuts), max) };
          } catch (err) {
            if (!(err instanceof BodyTooLargeError)) throw err;
            r = { error: 'too-large' };
          }
          if (data.length <= max) expect(r).toEqual({ ok: data });
          else expect(r).toEqual({ error: 'too-large' });
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
