/** Mixes both words (MurmurHash3's finaliser), so fingerprints related in any simple way still spread. */
function slotHash(hi: number, lo: number): number {
  let h = hi ^ Math.imul(lo ^ (lo >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ lo, 0x85ebca6b);
  return h ^ (h >>> 15);
}

/**
 * A set of 64-bit fingerprints in two flat `Uint32Array`s (open addressing, linear probing), so
 * memory stays at 8 bytes per slot: 16–32 MB per million distinct rows at a load of 0.25–0.5.
 */
export class FingerprintSet {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #size = 0;
  #mask: number;

  constructor(capacity = 1 << 16) {
    let slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#hi.byteLength + this.#lo.byteLength;
  }

  /** Adds the fingerprint; returns false when it was already there. */
  add(hi: number, lo: number): boolean {
    // (0, 0) marks an empty slot, so that one fingerprint is stored as (0, 1).
    if (hi === 0 && lo === 0) lo = 1;
    let i = slotHash(hi, lo) & this.#mask;
    for (;;) {
      const h = this.#hi[i]!;
      const l = this.#lo[i]!;
      if (h === 0 && l === 0) break;
      if (h === hi >>> 0 && l === lo >>> 0) return false;
      i = (i + 1) & this.#mask;
    }
    this.#hi[i] = hi;
    this.#lo[i] = lo;
    this.#size++;
    if (this.#size * 2 > this.#hi.length) this.#grow();
    return true;
  }

  #grow(): void {
    const oldHi = this.#hi;
    const oldLo = this.#lo;
    this.#hi = new Uint32Array(oldHi.length * 2);
    this.#lo = new Uint32Array(oldLo.length * 2);
    this.#mask = this.#hi.length - 1;
    this.#size = 0;
    for (let i = 0; i < oldHi.length; i++) {
      if (oldHi[i] !== 0 || oldLo[i] !== 0) this.add(oldHi[i]!, oldLo[i]!);
    }
  }
}
