/**
 * Rows of the usage index. Every field is a name, a hash, a count, a time or mask parameters as the
 * manifest records them: the index never holds a row value.
 */

/** One run, from its manifest, with the result of verifying that manifest when it was indexed. */
export interface IndexedRun {
  /**
   * Key of the index entry: derived from the manifest's absolute path, so a copy of a dataset
   * elsewhere is a dataset of its own (it matters for erasure), and re-indexing one is idempotent.
   */
  entry_id: string;
  run_id: string;
  /** Absolute path of the manifest when it was indexed. */
  manifest_path: string;
  /** SHA-256 of the manifest's RFC 8785 form. */
  manifest_sha256: string;
  dataset_digest: string;
  pipeline: string;
  status: string;
  started_at: string;
  finished_at: string;
  subject: string;
  issuer: string;
  method: string;
  identity_verified: boolean;
  on_behalf_of: string | null;
  agent_id: string | null;
  agent_model: string | null;
  purpose: string | null;
  policy_sha256: string | null;
  audit_head: string | null;
  /** `verifyManifest` result when indexed: `ok`, or `failed` with the problem kinds. */
  verification: 'ok' | 'failed';
  verification_problems: string[];
  signature: string;
  indexed_at: string;
}

/** One output (dataset part) of a run. */
export interface IndexedOutput {
  entry_id: string;
  run_id: string;
  output: string;
  format: string;
  /** Absolute path of the output (file or directory). */
  path: string;
  /** Absolute paths of its files. */
  files: string[];
  digest: string;
  rows: number;
}

/**
 * One step of lineage: output column ← source column ← base-table column, with one mask applied
 * to the source column (or none: `mask` null).
 */
export interface ColumnUse {
  entry_id: string;
  run_id: string;
  output: string;
  output_column: string;
  source: string;
  source_column: string;
  /** Arrow type of the source column as extracted (before masks), when the manifest has it. */
  source_type: string | null;
  connection: string;
  relation: string;
  /** Base-table column; `*` when every column of the relation flows in. */
  upstream_column: string;
  derived: boolean;
  lineage_complete: boolean;
  mask: string | null;
  key_id: string | null;
  params: Record<string, unknown>;
  /** Position of the mask in the column's mask list (0 when unmasked). */
  mask_index: number;
  /** Masks applied to this output column in all. */
  mask_count: number;
}

/** A column a source query read (in any clause), whether or not it reached an output. */
export interface ColumnRead {
  entry_id: string;
  run_id: string;
  source: string;
  connection: string;
  relation: string;
  column: string;
  star: boolean;
}

/** The audit fields the usage index keeps from decision, extraction and run records. */
export interface IndexedAuditRecord {
  hash: string;
  log: string;
  seq: number;
  ts: string;
  kind: string;
  run_id: string | null;
  subject: string | null;
  on_behalf_of: string | null;
  agent_id: string | null;
  source: string | null;
  connection: string | null;
  relations: string[];
  columns: string[];
  /** Verdict of a decision, outcome of an extraction, status of a run. */
  outcome: string | null;
  purpose: string | null;
  masks: { column: string; mask: string; key_id?: string }[];
}

/** Everything indexed from one manifest. */
export interface IndexedManifest {
  run: IndexedRun;
  outputs: IndexedOutput[];
  uses: ColumnUse[];
  reads: ColumnRead[];
}
