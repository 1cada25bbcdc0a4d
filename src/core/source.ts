import type { RecordBatch, Schema } from 'apache-arrow';

/** What a pipeline asks of a source: a query, or a table with optional columns. */
export interface SourceSpec {
  /** The source's name in the pipeline (also its table name in `select:`). */
  name: string;
  query?: string;
  table?: string;
  columns?: string[];
  /** Rows per record batch. */
  batch_rows: number;
  /** The run's purpose; only connections that forward the extraction (`appliesMasks`) read it. */
  purpose?: string;
  /**
   * The pipeline's masks for this source, for connections that declare `appliesMasks`: they have
   * the masks applied remotely, and the engine does not apply them again.
   */
  masks?: Record<string, { mask: string; key_id?: string; [option: string]: unknown }>;
}

/**
 * A source of record batches. Created without I/O; `describe` and `read` open what they need and
 * close it when done. `read` is pulled: nothing is read until the consumer asks, and breaking out
 * of the loop (or aborting the signal) closes the cursor and releases the connection.
 */
export interface Source {
  readonly name: string;
  /** The exact query text that runs against the connection, for evidence. */
  readonly query: string;
  /** The Arrow schema of the batches `read` yields, without reading rows. */
  describe(signal: AbortSignal): Promise<Schema>;
  read(signal: AbortSignal): AsyncIterable<RecordBatch>;
  /** Facts about the read point (snapshot id, LSN) reported once reading started; optional. */
  snapshot?(): Record<string, unknown> | undefined;
  close(): Promise<void>;
}
