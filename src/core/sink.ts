import type { RecordBatch, Schema } from 'apache-arrow';
import type { SqlEngine } from './sql-engine.js';

/** A file an output has written to a temporary path and will move into place on commit. */
export interface StagedFile {
  /** Where the file is while the run is in progress. */
  tempPath: string;
  /** Where it will be after commit. */
  path: string;
  rows: number;
  /**
   * Size and SHA-256 (hex) of the bytes the sink wrote, when it hashed them as it wrote; the run
   * then checks the size on disk instead of reading the file again.
   */
  written?: { bytes: number; sha256: string };
}

/** What a table sink staged: the rows and a digest of exactly what it sent. */
export interface StagedTable {
  rows: number;
  /** Lowercase hex SHA-256 of the written content, computed as `digest_algorithm` says. */
  sha256: string;
  /** How `sha256` was computed, e.g. `sha256-pg-copy-text-v1`. */
  digest_algorithm: string;
}

/**
 * A sink writes record batches into a staged (invisible) form, then makes the result visible in
 * one step. A failed or interrupted run calls `abort`, which removes everything staged, so no
 * half-written output ever looks complete.
 *
 * Lifecycle: `open` → `write`* → `finish` → `commit`; or `abort` at any point.
 * `write` returns when the batch is accepted; awaiting it is the backpressure.
 */
export interface Sink {
  open(schema: Schema, signal: AbortSignal): Promise<void>;
  write(batch: RecordBatch, signal: AbortSignal): Promise<void>;
  /**
   * Optional fast path: writes the whole result of `sql` from the engine in one step (for example
   * DuckDB straight to Parquet), instead of `open` and `write`. Returns false when this sink and
   * engine cannot, in which case the caller streams batches as usual.
   */
  writeQuery?(engine: SqlEngine, sql: string, signal: AbortSignal): Promise<boolean>;
  /** Flushes and fsyncs everything staged; returns the staged files (empty for table sinks). */
  finish(signal: AbortSignal): Promise<StagedFile[]>;
  /**
   * For a sink that writes a table: what it staged (after `finish`), for the manifest. Absent for
   * file sinks.
   */
  stagedTable?(): StagedTable | undefined;
  /** Makes the staged output visible atomically (rename, table swap). */
  commit(): Promise<void>;
  /** Removes anything staged. Safe to call more than once and after a failed `open`. */
  abort(): Promise<void>;
}
