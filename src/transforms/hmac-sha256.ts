import { loadBlock, SHA256_IV, sha256, sha256Compress, sha256Finish, stateToBytes } from './sha256.js';

/**
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer pad blocks compressed once, so a MAC of a
 * message shorter than 56 bytes costs two compressions and no allocation. Not thread-safe: each
 * instance owns its scratch buffers.
 *
 * @example
 * const mac = new HmacSha256(key);
 * mac.update(bytes, 0, bytes.length); // result words in mac.out
 */
export class HmacSha256 {
  /** The last MAC as 8 big-endian words. */
  readonly out = new Int32Array(8);
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;
  readonly #w = new Int32Array(64);
  readonly #tail = new Uint8Array(64);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? sha256(key) : key;
    const pad = new Uint8Array(64);
    const w = this.#w;
    pad.fill(0x36);
    for (let i = 0; i < k.length; i++) pad[i] = k[i]! ^ 0x36;
    this.#inner = new Int32Array(SHA256_IV);
    loadBlock(w, pad, 0);
    sha256Compress(this.#inner, w);
    pad.fill(0x5c);
    for (let i = 0; i < k.length; i++) pad[i] = k[i]! ^ 0x5c;
    this.#outer = new Int32Array(SHA256_IV);
    loadBlock(w, pad, 0);
    sha256Compress(this.#outer, w);
    pad.fill(0);
  }

  /** State after the key's inner pad block (8 words); read by the batched kernels, never written. */
  get innerState(): Readonly<Int32Array> {
    return this.#inner;
  }

  /** State after the key's outer pad block (8 words); read by the batched kernels, never written. */
  get outerState(): Readonly<Int32Array> {
    return this.#outer;
  }

  /** MAC of `bytes[start, end)`, written to `out`. */
  update(bytes: Uint8Array, start: number, end: number): void {
    const s = this.out;
    const w = this.#w;
    s.set(this.#inner);
    sha256Finish(s, w, this.#tail, bytes, start, end, 64);
    for (let i = 0; i < 8; i++) w[i] = s[i]!;
    w[8] = 0x80000000 | 0;
    w[9] = 0;
    w[10] = 0;
    w[11] = 0;
    w[12] = 0;
    w[13] = 0;
    w[14] = 0;
    w[15] = (64 + 32) * 8;
    s.set(this.#outer);
    sha256Compress(s, w);
  }

  /** MAC of `bytes` as 32 bytes. */
  digest(bytes: Uint8Array): Uint8Array {
    this.update(bytes, 0, bytes.length);
    return stateToBytes(this.out);
  }
}
