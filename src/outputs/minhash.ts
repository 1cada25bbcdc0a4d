import { murmur3 } from './row-fingerprint.js';

export const MINHASH_PERMUTATIONS = 128;
export const LSH_BANDS = 16;
export const LSH_ROWS = MINHASH_PERMUTATIONS / LSH_BANDS;

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

/** Hash of the UTF-16 code units `text[start, end)` (no allocation). */
function shingleHash(text: string, start: number, end: number): number {
  let h = 0x3c6ef372 ^ (end - start);
  for (let i = start; i < end; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** MinHash signature (128 values) of the `size`-character (UTF-16 unit) shingles of `text`. */
export function minhash(
  text: string,
  size: number,
  out = new Uint32Array(MINHASH_PERMUTATIONS),
): Uint32Array {
  out.fill(0xffffffff);
  const clean = shingleText(text);
  const count = Math.max(1, clean.length - size + 1);
  const seen = new Set<number>();
  for (let s = 0; s < count; s++) {
    const x = shingleHash(clean, s, Math.min(clean.length, s + size));
    if (seen.has(x)) continue;
    seen.add(x);
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
 * Rows remembered per LSH bucket. Texts sharing a template (similar, but below the threshold) would
 * otherwise pile into one bucket and make every insert compare against all of them.
 */
const MAX_BUCKET = 32;

/**
 * Near-duplicate index: LSH over 16 bands of 8 rows finds candidates (pairs with Jaccard
 * similarity around 0.7 and above collide in some band with high probability), and the candidate
 * is confirmed when the estimated similarity of the two signatures, from the lowest byte of each
 * of the 128 values, reaches `threshold`. A bucket remembers its first 32 rows only, which bounds
 * the work per row on template-like text at the price of some recall there. Memory: 128 bytes per kept row plus 16 band entries
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
    const checked = new Set<number>();
    for (let b = 0; b < LSH_BANDS; b++) {
      const h = bandHash(signature, b);
      hashes[b] = h;
      const hit = this.#bands[b]!.get(h);
      if (hit === undefined) continue;
      for (const id of typeof hit === 'number' ? [hit] : hit) {
        if (checked.has(id)) continue;
        checked.add(id);
        if (this.#similar(signature, id)) return false;
      }
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
      else if (hit.length < MAX_BUCKET) hit.push(id);
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
