/** Lowercase hex and SHA-256 helpers: one table-driven encoder for every hash and id the code prints. */

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`, two digits per byte. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i] as number];
  return hex;
}

const encoder = new TextEncoder();

/** Lowercase hex SHA-256 of a UTF-8 string or of raw bytes. */
export async function sha256Hex(value: string | Uint8Array): Promise<string> {
  const data = typeof value === 'string' ? encoder.encode(value) : value;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)));
}
