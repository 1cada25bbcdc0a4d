// Encoders from a MAC held as 8 big-endian Int32 words straight into an output byte buffer, so a
// token never exists as a JS string.

const HEX = new TextEncoder().encode('0123456789abcdef');
/** RFC 4648 base32 alphabet, lower case (tokens are identifiers, often compared case-sensitively). */
const BASE32 = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz234567');

export const MAX_HEX_LENGTH = 64;
export const MAX_BASE32_LENGTH = 52;

/** Writes the first `length` hex characters of the 256-bit `words` at `out[pos]`. */
export function writeHex(words: Int32Array, out: Uint8Array, pos: number, length: number): void {
  for (let c = 0; c < length; c++) {
    out[pos + c] = HEX[(words[c >> 3]! >>> (28 - ((c & 7) << 2))) & 15]!;
  }
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
