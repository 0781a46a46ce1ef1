import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { gunzipBounded, InvalidGzipError } from './bounded-gunzip';

describe('gzip header checks', () => {
  it('refuses a body whose flag byte turns the data into an unterminated file name (found by fast-check)', () => {
    const data = new TextEncoder().encode(' "$!\'3?'.repeat(1881));
    const gz = gzipSync(data);
    gz[3] = 15; // FTEXT | FHCRC | FEXTRA | FNAME
    // Cut, and end with eight zero bytes, so the old trailer check (CRC 0, size 0 for no output) passed.
    const body = new Uint8Array(62);
    body.set(gz.subarray(0, 54));
    expect(() => gunzipBounded(body, 1 << 20)).toThrow(InvalidGzipError);
  });

  it('still reads headers with an extra field, a name, a comment and a header CRC', () => {
    const data = new TextEncoder().encode('{"source":"s"}');
    const plain = gzipSync(data);
    const extra = [4, 0, 1, 2, 3, 4];
    const name = [...new TextEncoder().encode('events.json'), 0];
    const comment = [...new TextEncoder().encode('hi'), 0];
    const header = [...plain.subarray(0, 10)];
    header[3] = 4 | 8 | 16 | 2;
    const body = new Uint8Array([...header, ...extra, ...name, ...comment, 0, 0, ...plain.subarray(10)]);
    expect(new TextDecoder().decode(gunzipBounded(body, 1 << 20))).toBe('{"source":"s"}');
    expect(new TextDecoder().decode(gunzipBounded(gzipSync(new Uint8Array(0)), 1 << 20))).toBe('');
  });
});
