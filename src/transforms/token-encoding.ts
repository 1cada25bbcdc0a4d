// Encoders from a MAC held as 8 big-endian Int32 words straight into an output byte buffer, so a
// token never exists as a JS string.

const HEX = new TextEncoder().encode('0123456789abcdef');
/** RFC 4648 base32 alphabet, lower case (tokens are identifiers, often compared case-sensitively). */
const BASE32 = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz234567');

export const MAX_HEX_LENGTH = 64;
export const MAX_BASE32_LENGTH = 52;

/** Hex characters of every byte: `HEX_PAIRS[2b]`, `HEX_PAIRS[2b + 1]`; one lookup per byte, not per nibble. */
const HEX_PAIRS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  HEX_PAIRS[2 * b] = HEX[b >> 4]!;
  HEX_PAIRS[2 * b + 1] = HEX[b & 15]!;
}

/** `HEX_PAIRS` as 16-bit units in platform byte order: one store writes both characters of a byte. */
const HEX_UNITS = new Uint16Array(HEX_PAIRS.buffer);

/**
 * Writes the first `length` (even) hex characters of `words` at byte `2 · pos16` of the buffer
 * `out16` views: one 16-bit store per byte of the MAC instead of two byte stores.
 */
export function writeHexUnits(words: Int32Array, out16: Uint16Array, pos16: number, length: number): void {
  const units = length >> 1;
  let p = pos16;
  let k = 0;
  for (const full = units >> 2; k < full; k++) {
    const v = words[k]!;
    out16[p++] = HEX_UNITS[v >>> 24]!;
    out16[p++] = HEX_UNITS[(v >>> 16) & 0xff]!;
    out16[p++] = HEX_UNITS[(v >>> 8) & 0xff]!;
    out16[p++] = HEX_UNITS[v & 0xff]!;
  }
  for (let b = k << 2; b < units; b++)
    out16[p++] = HEX_UNITS[(words[b >> 2]! >>> (24 - ((b & 3) << 3))) & 0xff]!;
}

/** Writes the first `length` hex characters of the 256-bit `words` at `out[pos]`. */
export function writeHex(words: Int32Array, out: Uint8Array, pos: number, length: number): void {
  const bytes = length >> 1;
  let p = pos;
  for (let b = 0; b < bytes; b++) {
    const t = ((words[b >> 2]! >>> (24 - ((b & 3) << 3))) & 0xff) << 1;
    out[p++] = HEX_PAIRS[t]!;
    out[p++] = HEX_PAIRS[t + 1]!;
  }
  if (length & 1) out[p] = HEX[(words[bytes >> 2]! >>> (28 - ((bytes & 3) << 3))) & 15]!;
}

/** Writes the first `length` RFC 4648 base32 characters (no padding) of `words` at `out[pos]`. */
export function writeBase32(words: Int32Array, out: Uint8Array, pos: number, length: number): void {
  for (let c = 0; c < length; c++) {
    const bit = c * 5;
    const wi = bit >>> 5;
    const off = bit & 31;
    let v: number;
    if (off <= 27) v = words[wi]! >>> (27 - off);
    else v = (words[wi]! << (off - 27)) | (wi < 7 ? words[wi + 1]! >>> (59 - off) : 0);
    out[pos + c] = BASE32[v & 31]!;
  }
}
