/**
 * The one list of error codes. Codes are stable: they appear in audit events, manifests and
 * `--json` output, and each maps to a process exit code that schedulers use to decide retries.
 */
export const EXIT = {
  ok: 0,
  /** Runtime failure that may succeed on retry (connection lost, timeout). */
  runtime: 1,
  /** Invalid configuration or usage. */
  config: 2,
  /** Denied by policy or the SQL guard, or authentication failed. */
  denied: 3,
  /** Waiting for an approval. */
  approval: 4,
  /** Integrity failure (manifest or audit verification). */
  integrity: 5,
  /** Interrupted by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface CodeInfo {
  exit: ExitCode;
  retryable: boolean;
  summary: string;
}

export const ERROR_CODES = {
  CONFIG_INVALID: { exit: EXIT.config, retryable: false, summary: 'A pipeline or config file is invalid.' },
  CONFIG_NOT_FOUND: {
    exit: EXIT.config,
    retryable: false,
    summary: 'A file named on the command line or in config does not exist.',
  },
  USAGE: { exit: EXIT.config, retryable: false, summary: 'The command line is invalid.' },
  SECRET_MISSING: {
    exit: EXIT.config,
    retryable: false,
    summary: 'An environment variable or secret file that the config references is missing.',
  },
  KEY_INVALID: {
    exit: EXIT.config,
    retryable: false,
    summary: 'A key referenced by key id is missing or malformed.',
  },
  UNKNOWN_COMPONENT: {
    exit: EXIT.config,
    retryable: false,
    summary: 'A connection type, output format or mask is not registered.',
  },
  PLUGIN_FAILED: {
    exit: EXIT.config,
    retryable: false,
    summary: 'A plugin module could not be loaded or did not register correctly.',
  },
  SCHEMA_MISMATCH: {
    exit: EXIT.config,
    retryable: false,
    summary: 'A column named in the pipeline does not exist or has a type the operation cannot take.',
  },
  QUERY_INVALID: {
    exit: EXIT.config,
    retryable: false,
    summary: 'The database rejected a query (syntax error, unknown table or column).',
  },
  SOURCE_UNAVAILABLE: {
    exit: EXIT.runtime,
    retryable: true,
    summary: 'The source could not be reached or the connection was lost.',
  },
  SOURCE_FAILED: { exit: EXIT.runtime, retryable: false, summary: 'The source failed while reading.' },
  TIMEOUT: { exit: EXIT.runtime, retryable: true, summary: 'An operation exceeded its time limit.' },
  SINK_FAILED: { exit: EXIT.runtime, retryable: false, summary: 'An output could not be written.' },
  DISK_FULL: {
    exit: EXIT.runtime,
    retryable: true,
    summary: 'No space left on the device that an output is written to.',
  },
  AUTH_FAILED: { exit: EXIT.denied, retryable: false, summary: 'The caller could not be authenticated.' },
  GUARD_DENIED: {
    exit: EXIT.denied,
    retryable: false,
    summary: 'The SQL guard could not prove the query read-only.',
  },
  POLICY_DENIED: { exit: EXIT.denied, retryable: false, summary: 'The policy does not allow this access.' },
  PERMISSION_DENIED: {
    exit: EXIT.denied,
    retryable: false,
    summary: 'The database refused the access (insufficient privilege).',
  },
  APPROVAL_REQUIRED: {
    exit: EXIT.approval,
    retryable: false,
    summary: 'The access needs an approval that has not been granted yet.',
  },
  INTEGRITY_FAILED: {
    exit: EXIT.integrity,
    retryable: false,
    summary: 'A manifest, dataset file or audit log failed verification.',
  },
  CANCELLED: { exit: EXIT.interrupted, retryable: true, summary: 'The run was interrupted.' },
  INTERNAL: {
    exit: EXIT.runtime,
    retryable: false,
    summary: 'An unexpected internal error (a bug: please report it).',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
