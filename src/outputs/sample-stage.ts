import type { RecordBatch } from 'apache-arrow';
import type { BatchStage, DropCount } from './batch-stage.js';
import { murmur3, rowFingerprints } from './row-fingerprint.js';
import { selectedRows, takeRows } from './take-rows.js';

/** A row's seeded hash as a fraction in [0, 1) (53 bits). */
function rowHashes(batch: RecordBatch, columns: string[], seed: number): Float64Array {
  const seedText = new TextEncoder().encode(`sample:${seed}`);
  const salt = murmur3(seedText, 0, seedText.length, 0x51ce);
  const { hi, lo } = rowFingerprints(batch, [...columns], salt);
  const out = new Float64Array(batch.numRows);
  for (let i = 0; i < out.length; i++) out[i] = (hi[i]! * 2 ** 21 + (lo[i]! >>> 11)) / 2 ** 53;
  return out;
}

/** Keeps a row when its seeded hash is below `fraction`: order-independent and stable as data grows. */
export class FractionSampleStage implements BatchStage {
  readonly #fraction: number;
  readonly #columns: string[] | undefined;
  readonly #seed: number;
  #dropped = 0;

  constructor(fraction: number, seed: number, columns?: string[]) {
    this.#fraction = fraction;
    this.#seed = seed;
    this.#columns = columns;
  }

  push(batch: RecordBatch): RecordBatch[] {
    const hashes = rowHashes(batch, this.#columns ?? batch.schema.fields.map((f) => f.name), this.#seed);
    const keep = new Uint8Array(batch.numRows);
    let kept = 0;
    for (let i = 0; i < hashes.length; i++) {
      if (hashes[i]! < this.#fraction) {
        keep[i] = 1;
        kept++;
      }
    }
    this.#dropped += batch.numRows - kept;
    return kept === 0 ? [] : [takeRows(batch, selectedRows(keep, batch.numRows))];
  }

  flush(): RecordBatch[] {
    return [];
  }

  drops(): DropCount[] {
    return [{ stage: 'sample', reason: 'not_sampled', rows: this.#dropped }];
  }
}

interface Held {
  batch: RecordBatch;
  hashes: Float64Array;
}

/**
 * Keeps exactly `rows` rows: those with the smallest seeded hashes (bottom-k), so the sample does
 * not depend on row order. Holds at most about twice `rows` rows; output keeps arrival order.
 */
export class RowsSampleStage implements BatchStage {
  readonly #rows: number;
  readonly #columns: string[] | undefined;
  readonly #seed: number;
  #held: Held[] = [];
  #heldRows = 0;
  #seen = 0;
  #kept = 0;

  constructor(rows: number, seed: number, columns?: string[]) {
    this.#rows = rows;
    this.#seed = seed;
    this.#columns = columns;
  }

  push(batch: RecordBatch): RecordBatch[] {
    this.#seen += batch.numRows;
    const hashes = rowHashes(batch, this.#columns ?? batch.schema.fields.map((f) => f.name), this.#seed);
    this.#held.push({ batch, hashes });
    this.#heldRows += batch.numRows;
    if (this.#heldRows > 2 * this.#rows) this.#compact();
    return [];
  }

  flush(): RecordBatch[] {
    this.#compact();
    this.#kept = this.#heldRows;
    const out = this.#held.map((h) => h.batch).filter((b) => b.numRows > 0);
    this.#held = [];
    return out;
  }

  drops(): DropCount[] {
    return [{ stage: 'sample', reason: 'not_sampled', rows: this.#seen - this.#kept }];
  }

  /** Keeps the `rows` smallest hashes; ties broken by arrival order. */
  #compact(): void {
    if (this.#heldRows <= this.#rows) return;
    const all = new Float64Array(this.#heldRows);
    let n = 0;
    for (const h of this.#held) {
      all.set(h.hashes, n);
      n += h.hashes.length;
    }
    const sorted = all.slice().sort();
    const threshold = sorted[this.#rows - 1]!;
    let below = 0;
    for (let i = 0; i < sorted.length && sorted[i]! < threshold; i++) below++;
    let tiesLeft = this.#rows - below;
    const next: Held[] = [];
    let total = 0;
    for (const h of this.#held) {
      const keep = new Uint8Array(h.hashes.length);
      for (let i = 0; i < keep.length; i++) {
        const x = h.hashes[i]!;
        if (x < threshold || (x === threshold && tiesLeft-- > 0)) keep[i] = 1;
      }
      const rows = selectedRows(keep, keep.length);
      if (rows.length === 0) continue;
      const hashes = new Float64Array(rows.length);
      for (let k = 0; k < rows.length; k++) hashes[k] = h.hashes[rows[k]!]!;
      next.push({ batch: takeRows(h.batch, rows), hashes });
      total += rows.length;
    }
    this.#held = next;
    this.#heldRows = total;
  }
}
