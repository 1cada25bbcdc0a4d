import type { ErrorCode } from '../core/error-codes.js';
import type { IdentityFacts } from '../core/events.js';

/**
 * What the audit log records. Every field is a name, a count, a hash, a verdict or a reason that
 * names a rule: the types leave no place for a row value or a credential, and producers must not
 * put one in the free-text fields (`reason`, `reasons`, `details`).
 */

/** JSON values allowed in free-form fields. */
export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

export interface AuthenticationEvent {
  kind: 'authentication';
  /** The claimed or verified subject; null when the credential names none (malformed token). */
  subject: string | null;
  /** Authenticator type: `oidc`, `token`, `local`. */
  method: string;
  outcome: 'success' | 'failure';
  /** Why it failed (e.g. `token expired`, `unknown kid`); never the token. */
  reason?: string;
  issuer?: string;
  identity?: IdentityFacts;
  /** SHA-256 of the presented credential, to correlate repeated failures without storing it. */
  credential_sha256?: string;
  run_id?: string;
}

export interface AuditMaskFacts {
  /** Output column the mask applies to. */
  column: string;
  mask: string;
  key_id?: string;
  origin?: 'pipeline' | 'policy';
}

export interface DecisionEvent {
  kind: 'decision';
  run_id?: string;
  /** Stable id the proxy gives the decision, repeated on its extraction events. */
  decision_id?: string;
  source?: string;
  identity: IdentityFacts;
  purpose: string;
  connection: string;
  /** Schema-qualified relations read, e.g. `public.customers`. */
  relations: string[];
  /** Columns read, qualified as `schema.table.column`. */
  columns: string[];
  verdict: 'allow' | 'deny' | 'approval_required';
  /** Why, naming the policy rules. */
  reasons: string[];
  /** Content hash of the policy. */
  policy_version: string;
  masks: AuditMaskFacts[];
  /** SHA-256 of the query text (the text itself belongs in the manifest, not here). */
  query_sha256?: string;
  row_limit?: number;
  approval_id?: string;
  /** Set for a decision about writing a pipeline output into a table. */
  write?: { table: string; mode: string };
}

export interface ExtractionStartedEvent {
  kind: 'extraction_started';
  run_id: string;
  decision_id?: string;
  source: string;
  connection: string;
  relations?: string[];
  subject?: string;
  query_sha256?: string;
}

export interface ExtractionFinishedEvent {
  kind: 'extraction_finished';
  run_id: string;
  decision_id?: string;
  source: string;
  connection?: string;
  rows: number;
  bytes: number;
  duration_ms: number;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  error_code?: ErrorCode;
}

export interface RunStartedEvent {
  kind: 'run_started';
  run_id: string;
  pipeline: { name: string; sha256: string; path?: string };
  identity: IdentityFacts;
  purpose?: string;
  sluice_version?: string;
  host?: string;
}

export interface RunFinishedEvent {
  kind: 'run_finished';
  run_id: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  duration_ms: number;
  rows_written: number;
  error_code?: ErrorCode;
  /** SHA-256 of the run's manifest, when one was written. */
  manifest_sha256?: string;
}

export interface AdminEvent {
  kind: 'admin';
  /** e.g. `token.created`, `policy.changed`, `approval.granted`. */
  action: string;
  /** Who did it. */
  subject: string;
  details: Record<string, AuditValue>;
}

/**
 * An event kind this module does not know yet. Its kind must be namespaced with a dot
 * (`approval.requested`) so it cannot be mistaken for, or typed loosely as, a known kind.
 */
export interface CustomAuditEvent {
  kind: `${string}.${string}`;
  [field: string]: AuditValue | undefined;
}

export type KnownAuditEvent =
  | AuthenticationEvent
  | DecisionEvent
  | ExtractionStartedEvent
  | ExtractionFinishedEvent
  | RunStartedEvent
  | RunFinishedEvent
  | AdminEvent;

/** What callers append. */
export type AuditEventInput = KnownAuditEvent | CustomAuditEvent;

/** Written by the log itself: a signature over the chain head. */
export interface CheckpointEvent {
  kind: 'checkpoint';
  /** Hash of the record before this one (equal to this record's `prev_hash`). */
  head: string;
  /** Number of records the head covers (the `seq` of the head record). */
  records: number;
  key_id: string;
  /** Base64 Ed25519 signature over `pae(CHECKPOINT_PAYLOAD_TYPE, canonicalJson({ head, records }))`. */
  sig: string;
}

export interface AuditRecordHeader {
  /** 1-based; equal to the record's line number in the file. */
  seq: number;
  /** ISO-8601 time the record was appended. */
  ts: string;
  /** `hash` of the previous record; 64 zeros for the first. */
  prev_hash: string;
}

/** One line of the audit log. `hash` = sha256(canonicalJson(record without `hash`)). */
export type AuditRecord<E extends { kind: string } = AuditEventInput | CheckpointEvent> = AuditRecordHeader &
  E & { hash: string };

export const RESERVED_RECORD_FIELDS = ['seq', 'ts', 'prev_hash', 'hash'] as const;
