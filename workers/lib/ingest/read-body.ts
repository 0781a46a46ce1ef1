/**
 * Reading an ingest body: content type, encoding, declared size, a bounded read or gunzip, then (for JSON)
 * UTF-8 and parsing. Returns the data or a refusal and throws nothing: the caller decides how a refusal is
 * answered (through `Admission.refuse`, so the key is still checked and the refusal counted).
 */
import {
  BodyTooLargeError,
  gunzipStreamBounded,
  InvalidGzipError,
  readStreamBounded,
} from '@pulsestream/core/bounded-gunzip';
import type { ErrorCode } from '../errors';
import type { Refusal } from './admission';

export interface BodyRules {
  /** The accepted Content-Type and the refusal's wording; absent when the route reads the type itself. */
  contentType?: { pattern: RegExp; detail: string } | undefined;
  /** Bound on the body, after decompression. */
  maxBytes: number;
  /** How a body over `maxBytes` is refused (Segment documents 400; OTLP and our own API use 413). */
  tooLarge: ErrorCode;
  /** Whether `Content-Encoding: gzip` is accepted besides identity. */
  gzip: boolean;
  /**
   * A declared Content-Length over the bound is refused before reading: whatever the encoding (`any`), or
   * only for identity bodies, cancelling the unread body (`identity`).
   */
  declaredSize: 'any' | 'identity';
}

export type Read<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Reads the request's body within `rules`, counting bytes as they arrive (a chunked body is bounded too). */
export async function readBody(request: Request, rules: BodyRules): Promise<Read<Uint8Array>> {
  const headers = request.headers;
  if (rules.contentType && !rules.contentType.pattern.test((headers.get('content-type') ?? '').trim())) {
    return refused('unsupported_media_type', rules.contentType.detail);
  }
  const encoding = (headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && !(rules.gzip && encoding === 'gzip')) {
    return refused(
      'unsupported_media_type',
      `Content-Encoding ${rules.gzip ? 'must be gzip or absent' : 'is not accepted'}.`,
    );
  }
  const declared = Number(headers.get('content-length') ?? Number.NaN);
  const stream = request.body;
  if (Number.isFinite(declared) && declared > rules.maxBytes) {
    if (rules.declaredSize === 'any')
      return refused(rules.tooLarge, `The body must be at most ${rules.maxBytes} bytes.`);
    if (encoding === 'identity') {
      await stream?.cancel().catch(() => undefined);
      return refused(rules.tooLarge, `The body must be at most ${rules.maxBytes} bytes.`);
    }
  }
  if (!stream) return refused('bad_request', 'The body is empty.');
  try {
    const bytes =
      encoding === 'gzip'
        ? await gunzipStreamBounded(stream, rules.maxBytes)
        : await readStreamBounded(stream, rules.maxBytes);
    return { ok: true, value: bytes };
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      return refused(
        rules.tooLarge,
        `The body must be at most ${rules.maxBytes} bytes${encoding === 'gzip' ? ' after decompression' : ''}.`,
      );
    }
    if (err instanceof InvalidGzipError) return refused('bad_request', 'The body is not valid gzip.');
    // The client went away mid-upload: nobody reads the answer, and it is not a server error to log.
    return refused('bad_request', 'The request body was not received in full.');
  }
}

/**
 * UTF-8 then JSON. Without `detail`, each failure says which (`POST /v1/events`); with it, both are refused
 * with that one wording as malformed JSON (the compatible routes).
 */
export function decodeJson(bytes: Uint8Array, detail?: string): Read<unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return detail ? refused('malformed_json', detail) : refused('bad_request', 'The body is not valid UTF-8.');
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return refused('malformed_json', detail ?? 'The body is not valid JSON.');
  }
}

function refused(code: ErrorCode, detail: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { code, detail } };
}
