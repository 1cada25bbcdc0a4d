import type { RecordBatch } from 'apache-arrow';
import type { BatchStage, DropCount } from './batch-stage.js';
import { rowFingerprints } from './row-fingerprint.js';
import { RowsSampleStage } from './sample-stage.js';
import { takeRows } from './take-rows.js';

interface Stratum {
  /** 64-bit fingerprint of the stratum value, as hex: the order strata are allocated and written in. */
  key: string;
  seen: number;
  /** The stratum's `rows` smallest seeded hashes so far. */
  held: RowsSampleStage;
}

/**
 * Keeps `rows` rows in total, shared among the values of `column` in proportion to how many rows
 * each has (largest-remainder rounding, ties by stratum fingerprint). Stratum sizes are known only
 * at the end of the stream, so each stratum keeps its own bottom-`rows` by seeded hash until then
 * and gives up its smallest `k_s` at the end: deterministic, and independent of row order and
 * batch boundaries. Holds up to about `2 × rows` rows per stratum.
 */
export class StratifiedRowsSampleStage implements BatchStage {
  readonly #rows: number;
  readonly #seed: number;
  readonly #column: string;
  readonly #by: string[] | undefined;
  readonly #strata = new Map<string, Stratum>();
  #seen = 0;
  #kept = 0;

  constructor(rows: number, seed: number, column: string, by?: string[]) {
    this.#rows = rows;
    this.#seed = seed;
    this.#column = column;
    this.#by = by;
  }

  push(batch: RecordBatch): RecordBatch[] {
    this.#seen += batch.numRows;
    const { hi, lo } = rowFingerprints(batch, [this.#column], 0x57a7);
    // Group row indexes by stratum fingerprint (numbers, no per-row string); rows stay in arrival order.
    const groups = new Map<number, Map<number, number[]>>();
    for (let i = 0; i < batch.numRows; i++) {
      let byLo = groups.get(hi[i]!);
      if (!byLo) {
        byLo = new Map();
        groups.set(hi[i]!, byLo);
      }
      let g = byLo.get(lo[i]!);
      if (!g) {
        g = [];
        byLo.set(lo[i]!, g);
      }
      g.push(i);
    }
    for (const [h, byLo] of groups) for (const [l, rows] of byLo) this.#add(strataKey(h, l), rows, batch);
    return [];
  }

  #add(key: string, rows: number[], batch: RecordBatch): void {
    let s = this.#strata.get(key);
    if (!s) {
      s = { key, seen: 0, held: new RowsSampleStage(this.#rows, this.#seed, this.#by) };
      this.#strata.set(key, s);
    }
    s.seen += rows.length;
    s.held.push(rows.length === batch.numRows ? batch : takeRows(batch, Int32Array.from(rows)));
  }

  flush(): RecordBatch[] {
    const strata = [...this.#strata.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const quotas = allocate(
      this.#rows,
      strata.map((s) => s.seen),
    );
    const out: RecordBatch[] = [];
    for (const [i, s] of strata.entries()) {
      const k = quotas[i] ?? 0;
      const held = s.held.flush();
      if (k === 0) continue;
      // The stratum's k smallest hashes among its bottom-`rows`: the same as among all its rows.
      const final = new RowsSampleStage(k, this.#seed, this.#by);
      for (const b of held) final.push(b);
      for (const b of final.flush()) {
        this.#kept += b.numRows;
        out.push(b);
      }
    }
    this.#strata.clear();
    return out;
  }

  drops(): DropCount[] {
    return [{ stage: 'sample', reason: 'not_sampled', rows: this.#seen - this.#kept }];
  }
}

function strataKey(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * Splits `total` among groups of the given sizes in proportion to them: each gets the floor of its
 * quota, and what is left goes to the largest remainders (earlier groups first on ties). Never more
 * than a group's size; with `total` at least the sum, every group keeps all its rows.
 */
export function allocate(total: number, sizes: number[]): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  if (n <= total) return [...sizes];
  const quotas = sizes.map((s) => (total * s) / n);
  const out = quotas.map((q) => Math.floor(q));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => ({ i, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if ((out[i] as number) < (sizes[i] as number)) {
      out[i] = (out[i] as number) + 1;
      left--;
    }
  }
  return out;
}
