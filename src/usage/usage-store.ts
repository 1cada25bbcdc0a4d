import type {
  ColumnRead,
  ColumnUse,
  IndexedAuditRecord,
  IndexedManifest,
  IndexedOutput,
  IndexedRun,
} from './usage-records.js';

/**
 * Storage of the usage index. The CLI uses the embedded DuckDB implementation
 * (`connectors/duckdb/usage-index.ts`); `src/` only sees this interface.
 */
export interface UsageStore {
  /** The indexed entry (one manifest at one path), or undefined. */
  entry(entryId: string): Promise<IndexedRun | undefined>;
  /** Replaces everything indexed for `entry.run.entry_id`. */
  replaceManifest(entry: IndexedManifest): Promise<void>;
  /** Adds records not indexed yet (by hash); returns how many were new. */
  addAuditRecords(records: IndexedAuditRecord[]): Promise<number>;
  /** Every indexed run, oldest first. */
  runs(): Promise<IndexedRun[]>;
  outputs(entryIds: string[]): Promise<IndexedOutput[]>;
  /** Lineage rows whose base-table column is `column` (case-insensitive) or `*`. */
  columnUses(column: string): Promise<ColumnUse[]>;
  /** Lineage rows of the given entries. */
  usesOf(entryIds: string[]): Promise<ColumnUse[]>;
  /** Source reads of `column` (case-insensitive) or of `*`. */
  columnReads(column: string): Promise<ColumnRead[]>;
  /** Audit records of the given kinds, in log order. */
  auditRecords(kinds: string[]): Promise<IndexedAuditRecord[]>;
  close(): Promise<void>;
}

/** How a dataset column is compared with a data subject's value or token. */
export type SubjectMatch =
  | { kind: 'equals'; text: string }
  | { kind: 'contains'; text: string }
  /** The column's text has this SHA-256: the raw value never leaves the process. */
  | { kind: 'sha256'; hex: string };

/** Counts matching rows in dataset files (Parquet, JSONL, CSV). */
export interface DatasetSearch {
  /** Formats `count` can read. */
  readonly formats: readonly string[];
  count(files: string[], format: string, column: string, match: SubjectMatch): Promise<number>;
  close(): Promise<void>;
}
