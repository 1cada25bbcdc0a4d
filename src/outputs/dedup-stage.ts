import type { RecordBatch } from 'apache-arrow';
import type { BatchStage, DropCount } from './batch-stage.js';
import { FingerprintSet } from './fingerprint-set.js';
import { rowFingerprints } from './row-fingerprint.js';
import { selectedRows, takeRows } from './take-rows.js';

/** Exact dedup: keeps the first row of every distinct 64-bit fingerprint of `columns`. */
export class DedupStage implements BatchStage {
  readonly #columns: string[];
  readonly #seen = new FingerprintSet();
  #dropped = 0;

  constructor(columns: string[]) {
    this.#columns = columns;
  }

  push(batch: RecordBatch): RecordBatch[] {
    const { hi, lo } = rowFingerprints(batch, this.#columns);
    const keep = new Uint8Array(batch.numRows);
    let kept = 0;
    for (let i = 0; i < batch.numRows; i++) {
      if (this.#seen.add(hi[i]!, lo[i]!)) {
        keep[i] = 1;
        kept++;
      }
    }
    this.#dropped += batch.numRows - kept;
    if (kept === 0) return [];
    return [takeRows(batch, selectedRows(keep, batch.numRows))];
  }

  flush(): RecordBatch[] {
    return [];
  }

  drops(): DropCount[] {
    return [{ stage: 'dedup', reason: 'duplicate', rows: this.#dropped }];
  }

  /** Bytes held by the fingerprint table. */
  get bytes(): number {
    return this.#seen.bytes;
  }
}
