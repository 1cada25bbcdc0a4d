import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow';
import { type ColumnBuilder, createColumnBuilder } from './column-builder.js';
import type { DuckDBChunk } from './driver.js';

/**
 * Re-batches DuckDB chunks (at most 2048 rows each) into Arrow record batches of exactly
 * `batchRows` rows; only the last batch of a result may be smaller.
 */
export class BatchAssembler {
  readonly #schema: Schema;
  readonly #batchRows: number;
  readonly #builders: ColumnBuilder[];
  #rows = 0;

  constructor(schema: Schema, batchRows: number) {
    this.#schema = schema;
    this.#batchRows = batchRows;
    const capacity = Math.min(batchRows, 1 << 16);
    this.#builders = schema.fields.map((f) => createColumnBuilder(f.type, capacity));
  }

  /** Adds a chunk; returns the batches it completed (often none). */
  push(chunk: DuckDBChunk): RecordBatch[] {
    const out: RecordBatch[] = [];
    let start = 0;
    while (start < chunk.rowCount) {
      const take = Math.min(chunk.rowCount - start, this.#batchRows - this.#rows);
      this.#builders.forEach((b, i) => {
        b.appendColumn(chunk.column(i), start, take);
      });
      this.#rows += take;
      start += take;
      if (this.#rows === this.#batchRows) out.push(this.#flush());
    }
    return out;
  }

  /** The remaining rows as a final, smaller batch, or undefined when there are none. */
  finish(): RecordBatch | undefined {
    return this.#rows > 0 ? this.#flush() : undefined;
  }

  #flush(): RecordBatch {
    const length = this.#rows;
    this.#rows = 0;
    const children = this.#builders.map((b) => b.flush());
    const data = makeData({ type: new Struct(this.#schema.fields), length, nullCount: 0, children });
    return new RecordBatch(this.#schema, data);
  }
}
