// SHA-256 (FIPS 180-4) on Int32 words. Written out by hand because the masking kernels hash millions
// of short values per second: node:crypto's per-call overhead (object, native boundary, Buffer)
// dominates at that size, while one compression here is a few hundred nanoseconds.

/** The SHA-256 round constants (FIPS 180-4 §4.2.2), as Int32 words. */
export const SHA256_K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** Initial hash value H(0). */
export const SHA256_IV: Readonly<Int32Array> = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/**
 * One compression: `w[0..15]` holds the message block as big-endian words; `w[16..63]` is scratch.
 * Updates `state` (8 words) in place.
 */
export function sha256Compress(state: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + s1 + ch + SHA256_K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + s0 + maj) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Loads 64 bytes of `bytes` at `pos` into `w[0..15]` as big-endian words. */
export function loadBlock(w: Int32Array, bytes: Uint8Array, pos: number): void {
  for (let j = 0; j < 16; j++, pos += 4) {
    w[j] = (bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
  }
}

/**
 * Hashes `bytes[start, end)` continuing from `state`, which has already absorbed `prefixBytes`
 * bytes (a multiple of 64), and writes the final state back into `state`. `w` is 64 words of scratch
 * and `tail` 64 bytes of scratch.
 */
export function sha256Finish(
  state: Int32Array,
  w: Int32Array,
  tail: Uint8Array,
  bytes: Uint8Array,
  start: number,
  end: number,
  prefixBytes: number,
): void {
  let pos = start;
  while (end - pos >= 64) {
    loadBlock(w, bytes, pos);
    sha256Compress(state, w);
    pos += 64;
  }
  const rest = end - pos;
  tail.fill(0);
  for (let j = 0; j < rest; j++) tail[j] = bytes[pos + j]!;
  tail[rest] = 0x80;
  if (rest >= 56) {
    loadBlock(w, tail, 0);
    sha256Compress(state, w);
    tail.fill(0);
  }
  loadBlock(w, tail, 0);
  const bits = (prefixBytes + end - start) * 8;
  w[14] = Math.floor(bits / 0x100000000) | 0;
  w[15] = bits | 0;
  sha256Compress(state, w);
}

/** Writes the 8 state words as 32 big-endian bytes. */
export function stateToBytes(state: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

/** SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const state = new Int32Array(SHA256_IV);
  sha256Finish(state, new Int32Array(64), new Uint8Array(64), bytes, 0, bytes.length, 0);
  return stateToBytes(state);
}
