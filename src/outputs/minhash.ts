import { murmur3 } from './row-fingerprint.js';

export const MINHASH_PERMUTATIONS = 128;
export const LSH_BANDS = 16;
export const LSH_ROWS = MINHASH_PERMUTATIONS / LSH_BANDS;

const encoder = new TextEncoder();

/** Fixed odd multipliers and offsets of the 128 hash permutations (seeded, so runs agree). */
const A = new Uint32Array(MINHASH_PERMUTATIONS);
const B = new Uint32Array(MINHASH_PERMUTATIONS);
{
  let s = 0x2545f491;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let i = 0; i < MINHASH_PERMUTATIONS; i++) {
    A[i] = next() | 1;
    B[i] = next();
  }
}

/** Lower case, NFC, whitespace runs as one space: near-duplicates differ by more than spacing. */
export function shingleText(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** MinHash signature (128 values) of the `size`-character shingles of `text`. */
export function minhash(
  text: string,
  size: number,
  out = new Uint32Array(MINHASH_PERMUTATIONS),
): Uint32Array {
  out.fill(0xffffffff);
  const chars = [...shingleText(text)];
  const count = Math.max(1, chars.length - size + 1);
  for (let s = 0; s < count; s++) {
    const bytes = encoder.encode(chars.slice(s, s + size).join(''));
    const x = murmur3(bytes, 0, bytes.length, 0x3c6ef372);
    for (let i = 0; i < MINHASH_PERMUTATIONS; i++) {
      const h = (Math.imul(A[i]!, x) + B[i]!) >>> 0;
      if (h < out[i]!) out[i] = h;
    }
  }
  return out;
}

/** Hash of one LSH band of a signature (with the band number, so bands never collide with each other). */
export function bandHash(signature: Uint32Array, band: number): number {
  const bytes = new Uint8Array(signature.buffer, signature.byteOffset + band * LSH_ROWS * 4, LSH_ROWS * 4);
  return murmur3(bytes, 0, bytes.length, band * 0x9e3779b1);
}

/**
 * Near-duplicate index: LSH over 16 bands of 8 rows finds candidates (pairs with Jaccard
 * similarity around 0.7 and above collide in some band with high probability), and the candidate
 * is confirmed when the estimated similarity of the two signatures, from the lowest byte of each
 * of the 128 values, reaches `threshold`. Memory: 128 bytes per kept row plus 16 band entries
 * (about 200 bytes), so roughly 330 MB per million kept rows.
 */
export class NearDuplicateIndex {
  readonly #threshold: number;
  #sigs = new Uint8Array(1024 * MINHASH_PERMUTATIONS);
  #count = 0;
  readonly #bands: Map<number, number | number[]>[] = Array.from({ length: LSH_BANDS }, () => new Map());

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  /** Adds `signature` unless a near-duplicate is already in the index; returns whether it was added. */
  add(signature: Uint32Array): boolean {
    const hashes = new Array<number>(LSH_BANDS);
    for (let b = 0; b < LSH_BANDS; b++) {
      const h = bandHash(signature, b);
      hashes[b] = h;
      const hit = this.#bands[b]!.get(h);
      if (hit === undefined) continue;
      for (const id of typeof hit === 'number' ? [hit] : hit) if (this.#similar(signature, id)) return false;
    }
    const id = this.#count++;
    if (this.#sigs.length < this.#count * MINHASH_PERMUTATIONS) {
      const grown = new Uint8Array(this.#sigs.length * 2);
      grown.set(this.#sigs);
      this.#sigs = grown;
    }
    for (let i = 0; i < MINHASH_PERMUTATIONS; i++)
      this.#sigs[id * MINHASH_PERMUTATIONS + i] = signature[i]! & 0xff;
    for (let b = 0; b < LSH_BANDS; b++) {
      const map = this.#bands[b]!;
      const h = hashes[b]!;
      const hit = map.get(h);
      if (hit === undefined) map.set(h, id);
      else if (typeof hit === 'number') map.set(h, [hit, id]);
      else hit.push(id);
    }
    return true;
  }

  #similar(signature: Uint32Array, id: number): boolean {
    const base = id * MINHASH_PERMUTATIONS;
    let equal = 0;
    for (let i = 0; i < MINHASH_PERMUTATIONS; i++)
      if ((signature[i]! & 0xff) === this.#sigs[base + i]) equal++;
    // b-bit MinHash: unrelated values agree on the low byte 1 time in 256; correct for it.
    const matched = equal / MINHASH_PERMUTATIONS;
    const jaccard = (matched - 1 / 256) / (1 - 1 / 256);
    return jaccard >= this.#threshold;
  }
}
