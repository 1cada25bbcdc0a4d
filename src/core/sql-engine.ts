import type { RecordBatch, Schema } from 'apache-arrow';

/**
 * The embedded SQL engine that runs a pipeline's `select:` over its masked sources. It holds the
 * loaded tables on disk (not in memory) and streams the result.
 */
export interface SqlEngine {
  load(
    table: string,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    signal: AbortSignal,
  ): Promise<void>;
  describe(sql: string): Promise<Schema>;
  query(sql: string, batchRows: number, signal: AbortSignal): AsyncIterable<RecordBatch>;
  /**
   * Writes the result of `sql` straight to a Parquet file without converting it to Arrow batches in
   * between (optional: engines that cannot, leave it out). Returns the rows written.
   */
  copyToParquet?(
    sql: string,
    path: string,
    options: { compression: string; rowGroupRows: number },
    signal: AbortSignal,
  ): Promise<number>;
  close(): Promise<void>;
}

/** Opens a SQL engine whose files live under `dir`. */
export type SqlEngineFactory = (options: { dir: string }) => Promise<SqlEngine>;
