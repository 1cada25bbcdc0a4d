import type { ErrorCode } from './error-codes.js';

/**
 * Typed events. Components emit events and never write evidence themselves; the audit log,
 * the manifest and progress reporting are built by listening to them. Events carry names, counts
 * and hashes only, never row values or credentials.
 */
export interface IdentityFacts {
  subject: string;
  issuer: string;
  method: string;
  groups: string[];
  verified: boolean;
  on_behalf_of?: string;
  agent?: { id: string; model?: string };
}

export interface ColumnFacts {
  name: string;
  /** Arrow type as text, e.g. `Utf8`, `Int64`, `Timestamp<MICROSECOND, UTC>`. */
  type: string;
  nullable: boolean;
}

export interface OutputFileFacts {
  path: string;
  bytes: number;
  rows: number;
  sha256: string;
}

/** Statistics of one output column; text columns report lengths, never values. */
export interface ColumnProfileFacts {
  name: string;
  type: string;
  rows: number;
  null_ratio: number;
  /** HyperLogLog estimate. */
  distinct_estimate: number;
  /** Numeric columns only. */
  min?: number;
  max?: number;
  /** Text and binary columns: length in UTF-8 bytes at these quantiles. */
  length_quantiles?: { p50: number; p90: number; p99: number; max: number };
}

interface EventBase {
  run_id: string;
  /** ISO-8601 timestamp. */
  ts: string;
}

export type SluiceEventBody =
  | {
      type: 'run_started';
      pipeline: { name: string; path: string; sha256: string; purpose?: string; owner?: string };
      identity: IdentityFacts;
      sluice_version: string;
      host: string;
    }
  | {
      type: 'decision';
      source: string;
      connection: string;
      purpose: string;
      identity: IdentityFacts;
      verdict: 'allow' | 'deny' | 'approval_required';
      /** Why, naming the policy or guard rule. */
      reasons: { rule: string; message: string }[];
      /** Content hash of the policy, or `none` when the config names no policy. */
      policy_version: string;
      policy_path?: string;
      matched_rule?: string;
      /** Relations read, schema-qualified. */
      relations: string[];
      /** Columns read, as `schema.table.column`. */
      columns: string[];
      /** Masks per output column and whether the policy makes them mandatory. */
      masks: { column: string; mask: string; key_id?: string; origin: 'pipeline' | 'policy' }[];
      /** Predicates the policy added to the query (policy text, not data). */
      row_filters: { relation: string; predicate: string }[];
      row_limit?: number;
      /** Output columns derived from classified columns: their classes and the masks that satisfy them. */
      mandatory?: { column: string; classes: string[]; satisfied_by: string[]; satisfied: boolean }[];
      /** SHA-256 of the query text as written in the pipeline. */
      query_sha256: string;
      /** The AST hash of the query: equal for the same statement whatever its formatting. */
      query_ast_hash?: string;
      /**
       * Set when the decision is about an output writing into a table: `source` is then the
       * output's name, `relations` the target and `query_sha256` the hash of the write's binding.
       */
      write?: { table: string; mode: string };
    }
  | {
      type: 'source_opened';
      source: string;
      connection: string;
      connection_type: string;
      query: string;
      snapshot?: Record<string, unknown>;
    }
  | { type: 'source_schema'; source: string; columns: ColumnFacts[] }
  | {
      /**
       * The watermark range an incremental source read. `from`/`to` are values of the watermark
       * column (and tiebreaker), which must not be sensitive; the policy refuses masked ones.
       */
      type: 'source_watermark';
      source: string;
      column: string;
      tiebreaker?: string;
      /** `full`: every row was read (first run, `--full-refresh`, or a changed query). */
      mode: 'full' | 'incremental';
      reason?: 'first_run' | 'full_refresh' | 'source_changed';
      from: string[] | null;
      to: string[] | null;
    }
  | { type: 'rows_received'; source: string; rows: number; bytes: number }
  | {
      type: 'source_finished';
      source: string;
      rows: number;
      bytes: number;
      duration_ms: number;
      /** The read point (snapshot, LSN) when the source reports one. */
      snapshot?: Record<string, unknown>;
    }
  | {
      type: 'mask_applied';
      source: string;
      column: string;
      mask: string;
      key_id?: string;
      /** Mask parameters with key material removed. */
      params: Record<string, unknown>;
      rows: number;
      nulls: number;
      /** Why the mask applies: requested in the pipeline, or mandatory by policy. */
      origin: 'pipeline' | 'policy';
    }
  | {
      type: 'drift_detected';
      source: string;
      column: string;
      /** The kind of data found (`email`, `phone`, `card` …), never a value. */
      kind: string;
      ratio: number;
      rows: number;
      action: 'fail' | 'quarantine';
    }
  | { type: 'rows_sent'; output: string; rows: number; bytes: number }
  | {
      /** Rows an output's stage removed on purpose (dedup, sampling, filters); never silent. */
      type: 'rows_dropped';
      output: string;
      /** The stage, e.g. `dedup`, `sample`. */
      stage: string;
      /** Why, e.g. `duplicate`, `not_sampled`. */
      reason: string;
      rows: number;
    }
  | {
      /** The release gate's verdict on one output, before commit. Column names and counts only. */
      type: 'release_gate';
      output: string;
      verdict: 'pass' | 'fail' | 'quarantined';
      rows: number;
      /** Text columns in which the detectors found something: rows hit and per-kind counts. */
      pii: { column: string; rows: number; rate: number; kinds: Record<string, number> }[];
      k_anonymity?: { quasi_identifiers: string[]; k: number; groups: number; rows_below_k_min: number };
      thresholds: { k_min: number; max_pii_rate: number };
      /** Why it failed, naming columns. */
      reasons: string[];
    }
  | { type: 'profile'; output: string; rows: number; columns: ColumnProfileFacts[] }
  | {
      /** How an output's rows were split (e.g. train/validation/test) by a keyed hash of one column. */
      type: 'split_assigned';
      output: string;
      column: string;
      key_id?: string;
      parts: { name: string; weight: number; rows: number; files: number }[];
    }
  | { type: 'select_executed'; query: string; columns: ColumnFacts[] }
  | {
      type: 'output_committed';
      output: string;
      format: string;
      /** Absolute path of a file output; absent for a table output. */
      path?: string;
      /** A table output: where it was written and a digest of exactly what was written. */
      table?: {
        connection: string;
        table: string;
        mode: string;
        sha256: string;
        digest_algorithm: string;
      };
      rows: number;
      files: OutputFileFacts[];
      columns: ColumnFacts[];
      /** The source a direct output (no `select`) was written from. */
      source?: string;
      /** The approval a write into a protected table relied on. */
      approval_id?: string;
    }
  | {
      /** A statement a table sink ran (identifiers only: data goes through COPY, never as values). */
      type: 'sink_statement';
      connection: string;
      /** The target table, schema-qualified when given so. */
      table: string;
      /** `lock`, `stage`, `copy`, `swap`, `drop`. */
      step: string;
      statement: string;
      /** Rows a finished COPY wrote. */
      rows?: number;
    }
  | {
      type: 'approval_used';
      approval_id: string;
      approver: string;
      approved_at: string;
      expires_at?: string;
      /** The source the approval covers, when scoped to one. */
      source?: string;
      /** The output (a write into a protected table) the approval covers. */
      output?: string;
      reason?: string;
    }
  | {
      /**
       * The decision of a remote extraction proxy for one source (`type: proxy` connections), as
       * the proxy reported it. The proxy's own audit log holds its full decision.
       */
      type: 'remote_decision';
      source: string;
      /** The proxy's origin, e.g. `https://proxy.internal:8443`. */
      proxy: string;
      request_id: string;
      verdict: 'allow' | 'deny' | 'approval_required';
      /** Content hash of the proxy's policy, or `none`. */
      policy_version: string;
      /** File name of the proxy's policy. */
      policy_path?: string;
      matched_rule?: string;
      row_limit?: number;
      /** Columns the proxy's policy made mask mandatory. */
      mandatory_masks: string[];
    }
  | { type: 'error'; code: ErrorCode; message: string; component?: string }
  | {
      type: 'run_finished';
      status: 'succeeded' | 'failed' | 'cancelled';
      duration_ms: number;
      rows_written: number;
      /** SHA-256 of the manifest's canonical form, when one was written. */
      manifest_sha256?: string;
    };

export type SluiceEvent = SluiceEventBody & EventBase;
export type SluiceEventType = SluiceEvent['type'];
export type EventOf<T extends SluiceEventType> = Extract<SluiceEvent, { type: T }>;

export type EventListener = (event: SluiceEvent) => void;

/** Fan-out of events to listeners. Listeners run synchronously and must not throw. */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #runId: string;

  constructor(runId: string) {
    this.#runId = runId;
  }

  get runId(): string {
    return this.#runId;
  }

  on(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(body: SluiceEventBody): SluiceEvent {
    const event = { ...body, run_id: this.#runId, ts: new Date().toISOString() } as SluiceEvent;
    for (const listener of this.#listeners) listener(event);
    return event;
  }
}
