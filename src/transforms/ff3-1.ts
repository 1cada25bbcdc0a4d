import { type Cipher, createCipheriv } from 'node:crypto';
import { SluiceError } from '../core/errors.js';

/** The smallest domain FF3-1 may encrypt (NIST SP 800-38G Rev. 1, section 5.2): radix^minlen ≥ 10^6. */
const MIN_DOMAIN = 1_000_000n;
const TWO_96 = 1n << 96n;
/** Below this, radix^m and every intermediate value stays exact in doubles (m·log2(radix) ≤ 44). */
const FAST_LIMIT = 2 ** 44;

/** Length limits of FF3-1 for a radix: radix^min ≥ 10^6 and max = 2·⌊log_radix(2^96)⌋. */
export function ff3Limits(radix: number): { min: number; max: number } {
  const r = BigInt(radix);
  let min = 1;
  for (let p = r; p < MIN_DOMAIN; p *= r) min++;
  let k = 0;
  for (let p = r; p <= TWO_96; p *= r) k++;
  return { min: Math.max(min, 2), max: 2 * k };
}

/**
 * FF3-1 (NIST SP 800-38G Rev. 1) over numerals `0..radix-1`, AES-128/192/256 as the block cipher.
 * Works in place on a digit array; one instance per key and radix, not thread-safe.
 */
export class Ff3Cipher {
  readonly radix: number;
  readonly limits: { min: number; max: number };
  readonly #aes: Cipher;
  readonly #block = Buffer.alloc(16);
  readonly #pow: number[] = [];
  readonly #powBig: bigint[] = [];

  constructor(key: Uint8Array, radix: number) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new SluiceError(
        'KEY_INVALID',
        `An FF3-1 key must have 16, 24 or 32 bytes (AES-128/192/256); this one has ${key.length}.`,
        { context: { bytes: key.length } },
      );
    }
    if (!Number.isInteger(radix) || radix < 2 || radix > 65_536) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `FF3-1 radix must be an integer from 2 to 65536; got ${radix}.`,
      );
    }
    this.radix = radix;
    this.limits = ff3Limits(radix);
    // FF3 encrypts under the byte-reversed key (REVB(K)).
    const reversed = Buffer.from(key).reverse();
    this.#aes = createCipheriv(`aes-${key.length * 8}-ecb`, reversed, null);
    this.#aes.setAutoPadding(false);
    reversed.fill(0);
    let p = 1;
    let pb = 1n;
    for (let m = 0; m <= this.limits.max; m++) {
      this.#pow.push(p);
      this.#powBig.push(pb);
      p *= radix;
      pb *= BigInt(radix);
    }
  }

  /**
   * Encrypts (or decrypts) `digits[start, start + n)` in place under the 7-byte `tweak`. The caller
   * has checked `n` against `limits`.
   */
  crypt(
    digits: Uint8Array | Uint16Array,
    start: number,
    n: number,
    tweak: Uint8Array,
    decrypt: boolean,
  ): void {
    const u = Math.ceil(n / 2);
    const v = n - u;
    let A = digits.slice(start, start + u);
    let B = digits.slice(start + u, start + n);
    if (!decrypt) {
      for (let i = 0; i < 8; i++) {
        const m = i % 2 === 0 ? u : v;
        const C = A.slice(0, m);
        this.#combine(A, this.#round(i, tweak, B), m, C, 1);
        A = B;
        B = C;
      }
    } else {
      for (let i = 7; i >= 0; i--) {
        const m = i % 2 === 0 ? u : v;
        const C = B.slice(0, m);
        this.#combine(B, this.#round(i, tweak, A), m, C, -1);
        B = A;
        A = C;
      }
    }
    digits.set(A, start);
    digits.set(B, start + A.length);
  }

  /** Whether values of `n` numerals take the batched path (every half's value exact in a double). */
  batchable(n: number): boolean {
    return this.#pow[Math.ceil(n / 2)]! <= FAST_LIMIT;
  }

  /**
   * `crypt` for many values at once: value j is `digits[starts[j], starts[j] + lens[j])`. Each
   * Feistel round of every value goes through the block cipher in ONE `update` call (ECB encrypts
   * blocks independently), and the halves are kept as the numbers NUM_radix(REV(half)), so a round
   * costs a few double operations per value. Values too long for doubles use `crypt`.
   */
  cryptMany(
    digits: Uint8Array | Uint16Array,
    starts: Int32Array,
    lens: Int32Array,
    count: number,
    tweak: Uint8Array,
    decrypt: boolean,
  ): void {
    const radix = this.radix;
    const pow = this.#pow;
    const idx = new Int32Array(count);
    let fast = 0;
    for (let j = 0; j < count; j++) {
      if (this.batchable(lens[j]!)) idx[fast++] = j;
      else this.crypt(digits, starts[j]!, lens[j]!, tweak, decrypt);
    }
    if (fast === 0) return;
    const a = new Float64Array(fast);
    const b = new Float64Array(fast);
    const us = new Int32Array(fast);
    for (let q = 0; q < fast; q++) {
      const j = idx[q]!;
      const s = starts[j]!;
      const n = lens[j]!;
      const u = Math.ceil(n / 2);
      us[q] = u;
      let x = 0;
      for (let k = s + u - 1; k >= s; k--) x = x * radix + digits[k]!;
      a[q] = x;
      x = 0;
      for (let k = s + n - 1; k >= s + u; k--) x = x * radix + digits[k]!;
      b[q] = x;
    }
    // REVB(P) per value: bytes 0..11 are NUM(REV(X)) little-endian (X < 2^44 fills 6 of them),
    // bytes 12..15 the reversed tweak half and round number, the same for every value.
    const input = Buffer.alloc(fast * 16);
    for (let r = 0; r < 8; r++) {
      const i = decrypt ? 7 - r : r;
      const even = i % 2 === 0;
      const w0 = even ? tweak[4]! : tweak[0]!;
      const w1 = even ? tweak[5]! : tweak[1]!;
      const w2 = even ? tweak[6]! : tweak[2]!;
      const w3 = even ? ((tweak[3]! & 0x0f) << 4) ^ i : (tweak[3]! & 0xf0) ^ i;
      const xs = decrypt ? a : b;
      for (let q = 0, p = 0; q < fast; q++, p += 16) {
        let x = xs[q]!;
        const hi = Math.floor(x / 0x1000000);
        const lo = x - hi * 0x1000000;
        x = hi;
        input[p] = lo & 0xff;
        input[p + 1] = (lo >>> 8) & 0xff;
        input[p + 2] = lo >>> 16;
        input[p + 3] = x & 0xff;
        input[p + 4] = (x >>> 8) & 0xff;
        input[p + 5] = x >>> 16;
        input[p + 12] = w3;
        input[p + 13] = w2;
        input[p + 14] = w1;
        input[p + 15] = w0;
      }
      const out = this.#aes.update(input);
      for (let q = 0, p = 0; q < fast; q++, p += 16) {
        const u = us[q]!;
        const mod = pow[even ? u : lens[idx[q]!]! - u]!;
        // NUM(S) with S = REVB(output): the output block read little-endian, reduced mod radix^m.
        const y = reduce(out, p, mod);
        if (!decrypt) {
          let c = a[q]! + y;
          if (c >= mod) c -= mod;
          a[q] = b[q]!;
          b[q] = c;
        } else {
          let c = b[q]! - y;
          if (c < 0) c += mod;
          b[q] = a[q]!;
          a[q] = c;
        }
      }
    }
    for (let q = 0; q < fast; q++) {
      const j = idx[q]!;
      const s = starts[j]!;
      const n = lens[j]!;
      const u = us[q]!;
      let x = a[q]!;
      for (let k = s; k < s + u; k++) {
        const next = Math.floor(x / radix);
        digits[k] = x - next * radix;
        x = next;
      }
      x = b[q]!;
      for (let k = s + u; k < s + n; k++) {
        const next = Math.floor(x / radix);
        digits[k] = x - next * radix;
        x = next;
      }
    }
  }

  /** P = W ⊕ [i]^4 ‖ [NUM_radix(REV(X))]^12, S = REVB(CIPH(REVB(P))); returns S as 16 bytes. */
  #round(i: number, tweak: Uint8Array, X: Uint8Array | Uint16Array): Buffer {
    const block = this.#block;
    // Tweak split of FF3-1: TL = T[0..27] ‖ 0^4, TR = T[32..55] ‖ T[28..31] ‖ 0^4.
    if (i % 2 === 0) {
      block[0] = tweak[4]!;
      block[1] = tweak[5]!;
      block[2] = tweak[6]!;
      block[3] = ((tweak[3]! & 0x0f) << 4) ^ i;
    } else {
      block[0] = tweak[0]!;
      block[1] = tweak[1]!;
      block[2] = tweak[2]!;
      block[3] = (tweak[3]! & 0xf0) ^ i;
    }
    const radix = this.radix;
    const len = X.length;
    // NUM_radix(REV(X)): X's last numeral is the most significant.
    if (this.#pow[len]! <= FAST_LIMIT) {
      let num = 0;
      for (let k = len - 1; k >= 0; k--) num = num * radix + X[k]!;
      let lo = num % 0x100000000;
      let hi = (num - lo) / 0x100000000;
      for (let b = 15; b >= 12; b--) {
        block[b] = lo & 0xff;
        lo = Math.floor(lo / 256);
      }
      for (let b = 11; b >= 4; b--) {
        block[b] = hi & 0xff;
        hi = Math.floor(hi / 256);
      }
    } else {
      let num = 0n;
      const r = BigInt(radix);
      for (let k = len - 1; k >= 0; k--) num = num * r + BigInt(X[k]!);
      for (let b = 15; b >= 4; b--) {
        block[b] = Number(num & 0xffn);
        num >>= 8n;
      }
    }
    block.reverse();
    return this.#aes.update(block).reverse();
  }

  /** C = REV(STR^m_radix((NUM_radix(REV(X)) ± NUM(S)) mod radix^m)). */
  #combine(
    X: Uint8Array | Uint16Array,
    s: Buffer,
    m: number,
    C: Uint8Array | Uint16Array,
    sign: 1 | -1,
  ): void {
    const radix = this.radix;
    const mod = this.#pow[m]!;
    if (mod <= FAST_LIMIT) {
      // y mod radix^m from the 16 bytes, Horner in doubles: r·256 + byte < 2^52.
      let y = 0;
      for (let b = 0; b < 16; b++) y = (y * 256 + s[b]!) % mod;
      let x = 0;
      for (let k = m - 1; k >= 0; k--) x = x * radix + X[k]!;
      let c = (x + sign * y) % mod;
      if (c < 0) c += mod;
      for (let k = 0; k < m; k++) {
        const d = c % radix;
        C[k] = d;
        c = (c - d) / radix;
      }
      return;
    }
    const modBig = this.#powBig[m]!;
    const r = BigInt(radix);
    let y = 0n;
    for (let b = 0; b < 16; b++) y = (y << 8n) | BigInt(s[b]!);
    let x = 0n;
    for (let k = m - 1; k >= 0; k--) x = x * r + BigInt(X[k]!);
    let c = (sign === 1 ? x + y : x - y) % modBig;
    if (c < 0n) c += modBig;
    for (let k = 0; k < m; k++) {
      C[k] = Number(c % r);
      c /= r;
    }
  }
}

/**
 * `x mod m` for integers x < 2^53, m ≤ 2^44, without `%` (a floating-point remainder is a slow
 * library call): the quotient from a division may be off by one, which one correction fixes.
 */
function modulo(x: number, m: number): number {
  const r = x - Math.floor(x / m) * m;
  return r < 0 ? r + m : r >= m ? r - m : r;
}

/**
 * The 16 bytes at `bytes[p]` read as a little-endian 128-bit integer, mod `mod` (≤ 2^44), exactly in
 * doubles: the widest chunks for which remainder · 2^chunk + chunk stays below 2^53.
 */
function reduce(bytes: Uint8Array, p: number, mod: number): number {
  if (mod <= 0x200000) {
    let r = 0;
    for (let q = p + 12; q >= p; q -= 4) {
      const word = (bytes[q]! | (bytes[q + 1]! << 8) | (bytes[q + 2]! << 16) | (bytes[q + 3]! << 24)) >>> 0;
      r = modulo(r * 0x100000000 + word, mod);
    }
    return r;
  }
  if (mod <= 0x2000000000) {
    let r = 0;
    for (let q = p + 14; q >= p; q -= 2) r = modulo(r * 0x10000 + (bytes[q]! | (bytes[q + 1]! << 8)), mod);
    return r;
  }
  let r = 0;
  for (let q = p + 15; q >= p; q--) r = modulo(r * 256 + bytes[q]!, mod);
  return r;
}
