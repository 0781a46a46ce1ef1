/**
 * Gzip decompression with a hard output bound, for request bodies sent with
 * `Content-Encoding: gzip`. A 1 MiB body can inflate to 1 GiB (a "gzip bomb"),
 * so output is counted as it is produced and decompression stops the moment it
 * passes the limit, long before the bomb is fully expanded.
 *
 * fflate's streaming Gunzip neither verifies the CRC-32/ISIZE trailer nor
 * notices a stream cut short, so both are checked here: a body that does not
 * end with a matching trailer is refused as corrupt or truncated.
 * Multi-member gzip (concatenated files) is refused: HTTP clients and
 * CompressionStream produce a single member, and one member keeps the trailer
 * check exact.
 */
import { Gunzip } from 'fflate';
import { errorMessage } from './error-message';

/** Thrown when the (decompressed) body exceeds its byte limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  /** The limit, in bytes, that was exceeded. */
  readonly limit: number;

  constructor(limit: number, message = `body exceeds ${limit} bytes`) {
    super(message);
    this.limit = limit;
  }
}

/** Thrown when the body is not a complete, well-formed single-member gzip stream. */
export class InvalidGzipError extends Error {
  override readonly name = 'InvalidGzipError';
}

/** Default size of the input pieces handed to the inflater. */
export const DEFAULT_GUNZIP_CHUNK_SIZE = 16_384;

/**
 * DEFLATE cannot expand input by more than ~1032:1, so feeding at most
 * (remaining budget / 1032) bytes at a time bounds each step's output to about
 * the remaining budget: memory stays near 2 × maxBytes even for a bomb.
 */
const MAX_DEFLATE_RATIO = 1032;
const MIN_PIECE = 64;
/** 10-byte header + at least 2 bytes of deflate + 8-byte trailer. */
const MIN_GZIP_LENGTH = 20;
/** A gzip header (with its optional extra field, name and comment) must end within this many bytes. */
const MAX_HEADER_BYTES = 1024;

/**
 * Length of the gzip header at the start of `head` (RFC 1952: 10 bytes, then FEXTRA, FNAME, FCOMMENT and
 * FHCRC as its flags say), or null when it does not end within `head`.
 */
function gzipHeaderLength(head: Uint8Array): number | null {
  if (head.length < 10) return null;
  const flags = head[3] ?? 0;
  let at = 10;
  if (flags & 4) {
    if (head.length < 12) return null;
    at += 2 + ((head[10] ?? 0) | ((head[11] ?? 0) << 8));
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    while (at < head.length && head[at] !== 0) at++;
    if (at >= head.length) return null;
    at++;
  }
  if (flags & 2) at += 2;
  return at <= head.length ? at : null;
}

let crcTable: Int32Array | undefined;

function getCrcTable(): Int32Array {
  if (crcTable) return crcTable;
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  crcTable = table;
  return table;
}

/** Continues a CRC-32 (IEEE, as in gzip) over `data`; start with crc = 0. */
export function crc32(data: Uint8Array, crc = 0): number {
  const table = getCrcTable();
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = (table[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Incremental bounded gunzip shared by the sync and stream entry points.
 * Not reusable after an error.
 */
class BoundedGunzipper {
  private readonly inflater: Gunzip;
  private readonly parts: Uint8Array[] = [];
  private produced = 0;
  private consumed = 0;
  private crc = 0;
  /** Last 8 input bytes seen: the gzip trailer once input ends. */
  private readonly trailer = new Uint8Array(8);
  /** First input bytes, where the header is. */
  private readonly head = new Uint8Array(MAX_HEADER_BYTES);
  private headLength = 0;
  private failed = false;
  private readonly stage: Uint8Array;
  private staged = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly chunkSize: number,
  ) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be an integer >= 0`);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be an integer >= 1`);
    this.stage = new Uint8Array(chunkSize);
    this.inflater = new Gunzip((data) => this.onData(data));
    this.inflater.onmember = () => {
      throw new InvalidGzipError('multi-member gzip is not supported');
    };
  }

  /**
   * Feeds compressed bytes; throws as soon as the output exceeds the limit.
   * Small incoming chunks are staged into larger pieces first: every inflater
   * step copies a 32 KiB window, so a client dripping 1-byte chunks would
   * otherwise cost 32 KiB of copying per byte sent.
   */
  push(input: Uint8Array): void {
    let offset = 0;
    while (offset < input.length) {
      const size = this.pieceSize();
      if (this.staged === 0 && input.length - offset >= size) {
        this.feed(input.subarray(offset, offset + size));
        offset += size;
        continue;
      }
      const take = Math.min(size - this.staged, input.length - offset);
      this.stage.set(input.subarray(offset, offset + take), this.staged);
      this.staged += take;
      offset += take;
      if (this.staged >= size) this.flushStage();
    }
  }

  /** Signals end of input, verifies the trailer and returns the output. */
  finish(): Uint8Array {
    this.flushStage();
    this.run(() => this.inflater.push(new Uint8Array(0), true));
    if (this.consumed < MIN_GZIP_LENGTH) throw new InvalidGzipError('gzip stream is truncated');
    // The inflater accepts a header that never ends (a corrupted flag byte turns the data into a "file name")
    // and then yields nothing; the trailer check alone passes when the last 8 bytes happen to be zeros.
    const header = gzipHeaderLength(this.head.subarray(0, this.headLength));
    if (header === null || header + 2 + 8 > this.consumed) {
      throw new InvalidGzipError('gzip header is truncated, too long or corrupt');
    }
    const t = this.trailer;
    const expectedCrc = ((t[0] ?? 0) | ((t[1] ?? 0) << 8) | ((t[2] ?? 0) << 16) | ((t[3] ?? 0) << 24)) >>> 0;
    const expectedSize = ((t[4] ?? 0) | ((t[5] ?? 0) << 8) | ((t[6] ?? 0) << 16) | ((t[7] ?? 0) << 24)) >>> 0;
    // A truncated stream leaves deflate bytes where the trailer should be; they match by chance with p ≈ 2^-64.
    if (expectedCrc !== this.crc || expectedSize !== this.produced % 2 ** 32) {
      throw new InvalidGzipError('gzip stream is truncated or corrupt (trailer mismatch)');
    }
    const out = new Uint8Array(this.produced);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Input piece size: small enough that one step cannot inflate far past the remaining budget. */
  private pieceSize(): number {
    const budget = this.maxBytes - this.produced;
    return Math.min(this.chunkSize, Math.max(MIN_PIECE, Math.ceil((budget + 1) / MAX_DEFLATE_RATIO)));
  }

  private flushStage(): void {
    if (this.staged === 0) return;
    // A copy, because the inflater may keep a reference to a piece while it waits for more header bytes.
    const piece = this.stage.slice(0, this.staged);
    this.staged = 0;
    this.feed(piece);
  }

  private feed(piece: Uint8Array): void {
    this.remember(piece);
    this.run(() => this.inflater.push(piece, false));
  }

  private run(step: () => void): void {
    if (this.failed) throw new InvalidGzipError('gunzip already failed');
    try {
      step();
    } catch (error) {
      this.failed = true;
      if (error instanceof BodyTooLargeError || error instanceof InvalidGzipError) throw error;
      throw new InvalidGzipError(`invalid gzip data: ${errorMessage(error)}`, { cause: error });
    }
  }

  private onData(data: Uint8Array): void {
    if (data.length === 0) return;
    this.produced += data.length;
    if (this.produced > this.maxBytes) throw new BodyTooLargeError(this.maxBytes);
    this.crc = crc32(data, this.crc);
    this.parts.push(data);
  }

  private remember(piece: Uint8Array): void {
    if (this.headLength < MAX_HEADER_BYTES) {
      const take = piece.subarray(0, MAX_HEADER_BYTES - this.headLength);
      this.head.set(take, this.headLength);
      this.headLength += take.length;
    }
    this.consumed += piece.length;
    if (piece.length >= 8) {
      this.trailer.set(piece.subarray(piece.length - 8));
    } else {
      this.trailer.copyWithin(0, piece.length);
      this.trailer.set(piece, 8 - piece.length);
    }
  }
}

/**
 * Decompresses a complete gzip body, refusing output larger than `maxBytes`.
 * @param chunkSize upper bound of the input pieces fed to the inflater.
 * @throws BodyTooLargeError as soon as output exceeds `maxBytes`.
 * @throws InvalidGzipError on corrupt, truncated or multi-member input.
 */
export function gunzipBounded(input: Uint8Array, maxBytes: number, chunkSize = DEFAULT_GUNZIP_CHUNK_SIZE): Uint8Array {
  const gunzipper = new BoundedGunzipper(maxBytes, chunkSize);
  gunzipper.push(input);
  return gunzipper.finish();
}

/**
 * How much of a refused body is still read (and discarded) so the connection stays usable. Cancelling a
 * request body mid-stream leaves the client's unsent bytes on a keep-alive connection: `wrangler dev`'s proxy
 * then fails the next request on it ("worker restarted mid-request"), and a client that does not read the
 * early answer sees a reset. Reading the rest is cheap (the bytes are counted, not kept or decompressed); past
 * this bound the body is cancelled and the connection may close.
 */
export const DEFAULT_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads and discards what is left of a body, up to `limit` more bytes; cancels the stream if it goes on.
 * Never throws: it only decides whether the connection can be reused.
 */
export async function drainOrCancel(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  reason: unknown,
  limit = DEFAULT_DRAIN_BYTES,
): Promise<void> {
  let drained = 0;
  try {
    while (drained <= limit) {
      const { done, value } = await reader.read();
      if (done) return;
      drained += value.length;
    }
  } catch {
    // The stream failed while draining: there is nothing left to read.
    return;
  }
  await reader.cancel(reason).catch(() => undefined);
}

/**
 * Decompresses a gzip request body stream chunk by chunk, refusing output larger
 * than `maxBytes`. On failure the rest of the (compressed) body is drained up to
 * `drainBytes`, then cancelled, so the connection serves the next request.
 * @throws BodyTooLargeError as soon as output exceeds `maxBytes`.
 * @throws InvalidGzipError on corrupt, truncated or multi-member input.
 */
export async function gunzipStreamBounded(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  chunkSize = DEFAULT_GUNZIP_CHUNK_SIZE,
  drainBytes = DEFAULT_DRAIN_BYTES,
): Promise<Uint8Array> {
  const gunzipper = new BoundedGunzipper(maxBytes, chunkSize);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      gunzipper.push(value);
    }
    return gunzipper.finish();
  } catch (error) {
    await drainOrCancel(reader, error, drainBytes);
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Reads an uncompressed body stream, refusing more than `maxBytes`
 * (Content-Length can be absent or wrong, so the bytes themselves are counted).
 * The rest of a refused body is drained up to `drainBytes`, then cancelled.
 * @throws BodyTooLargeError as soon as more than `maxBytes` arrive.
 */
export async function readStreamBounded(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  drainBytes = DEFAULT_DRAIN_BYTES,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw new BodyTooLargeError(maxBytes);
      parts.push(value);
    }
  } catch (error) {
    await drainOrCancel(reader, error, drainBytes);
    throw error;
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
