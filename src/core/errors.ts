import { ERROR_CODES, type ErrorCode, type ExitCode } from './error-codes.js';

export interface SluiceErrorOptions {
  /** Structured facts about the failure: names, counts, ids. Never row values or credentials. */
  context?: Record<string, unknown>;
  /** The underlying error (a driver error keeps its SQLSTATE, detail and hint there). */
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
}

/**
 * The base error of Sluice: a stable `code`, whether a retry may help, structured `context`,
 * and the original error as `cause`.
 *
 * @example
 * throw new SluiceError('SCHEMA_MISMATCH', 'Column `e_mail` not found in source `customers`.', {
 *   context: { source: 'customers', column: 'e_mail' },
 * });
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.context = options.context ?? {};
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }
}

/** One problem in a config file, located by file, line and YAML path. */
export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  /** YAML path, e.g. `sources.customers.query`. */
  path: string;
  message: string;
}

/** All problems found in the configuration, reported at once. */
export class ConfigError extends SluiceError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options: SluiceErrorOptions = {}) {
    // In file order, so the report reads top to bottom like the files.
    const sorted = [...issues].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
    super('CONFIG_INVALID', formatIssues(sorted), {
      ...options,
      context: { ...options.context, issues: sorted },
    });
    this.name = 'ConfigError';
    this.issues = sorted;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined
      ? issue.file
      : `${issue.file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  return `${where}${issue.path ? ` at \`${issue.path}\`` : ''}: ${issue.message}`;
}

function formatIssues(issues: ConfigIssue[]): string {
  const head =
    issues.length === 1
      ? '1 problem in the configuration:'
      : `${issues.length} problems in the configuration:`;
  return [head, ...issues.map((i) => `  - ${formatIssue(i)}`)].join('\n');
}

/** Wraps anything thrown into a SluiceError, keeping SluiceErrors as they are. */
export function toSluiceError(err: unknown, fallback: ErrorCode = 'INTERNAL'): SluiceError {
  if (err instanceof SluiceError) return err;
  if (isAbortError(err)) return new SluiceError('CANCELLED', 'The run was interrupted.', { cause: err });
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOSPC') {
    return new SluiceError(
      'DISK_FULL',
      'No space left on device. Free space or write the outputs elsewhere, then run again.',
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SluiceError(fallback, message, { cause: err });
}

export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { name?: string }).name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR')
  );
}

/** Throws the signal's reason as a CANCELLED error when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new SluiceError('CANCELLED', 'The run was interrupted.', { cause: signal.reason });
}
