import type { RecordBatch } from 'apache-arrow';
import type { BatchStage, DropCount } from './batch-stage.js';
import { selectedRows, takeRows } from './take-rows.js';
import type { WherePredicate } from './where-predicate.js';

/** Keeps the rows a compiled `where` holds true for (NULL is not true) and counts the others. */
export class WhereStage implements BatchStage {
  readonly #predicate: WherePredicate;
  #dropped = 0;

  constructor(predicate: WherePredicate) {
    this.#predicate = predicate;
  }

  push(batch: RecordBatch): RecordBatch[] {
    const keep = this.#predicate.keep(batch);
    const rows = selectedRows(keep, batch.numRows);
    this.#dropped += batch.numRows - rows.length;
    return rows.length === 0 ? [] : [takeRows(batch, rows)];
  }

  flush(): RecordBatch[] {
    return [];
  }

  drops(): DropCount[] {
    return [{ stage: 'where', reason: 'filtered', rows: this.#dropped }];
  }
}
