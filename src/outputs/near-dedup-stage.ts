import { type Data, type RecordBatch, Vector } from 'apache-arrow';
import type { BatchStage, DropCount } from './batch-stage.js';
import { MINHASH_PERMUTATIONS, minhash, NearDuplicateIndex } from './minhash.js';
import { selectedRows, takeRows } from './take-rows.js';

/**
 * Near-duplicate dedup of one text column (MinHash + LSH): keeps the first row of every group of
 * texts whose shingle sets have an estimated Jaccard similarity of at least `threshold`. Null and
 * empty texts are never dropped as near-duplicates.
 */
export class NearDedupStage implements BatchStage {
  readonly #column: string;
  readonly #shingle: number;
  readonly #index: NearDuplicateIndex;
  readonly #signature = new Uint32Array(MINHASH_PERMUTATIONS);
  #dropped = 0;

  constructor(column: string, threshold: number, shingle: number) {
    this.#column = column;
    this.#shingle = shingle;
    this.#index = new NearDuplicateIndex(threshold);
  }

  push(batch: RecordBatch): RecordBatch[] {
    const column = batch.getChild(this.#column);
    if (!column) return [batch];
    const keep = new Uint8Array(batch.numRows).fill(1);
    let base = 0;
    for (const data of column.data as Data[]) {
      const vector = new Vector([data]);
      for (let i = 0; i < data.length; i++) {
        const text = vector.get(i) as string | null;
        if (typeof text !== 'string' || text.trim().length === 0) continue;
        if (!this.#index.add(minhash(text, this.#shingle, this.#signature))) {
          keep[base + i] = 0;
          this.#dropped++;
        }
      }
      base += data.length;
    }
    const rows = selectedRows(keep, batch.numRows);
    return rows.length === 0 ? [] : [takeRows(batch, rows)];
  }

  flush(): RecordBatch[] {
    return [];
  }

  drops(): DropCount[] {
    return [{ stage: 'near_dedup', reason: 'near_duplicate', rows: this.#dropped }];
  }
}
