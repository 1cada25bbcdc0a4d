import { type ErrorCode, isAbortError, SluiceError } from '../../src/index.js';

/** The server fields of a PostgreSQL error (node-postgres `DatabaseError`). */
interface ServerError {
  message: string;
  code: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  schema?: string;
  table?: string;
  column?: string;
  routine?: string;
}

export interface ErrorScope {
  /** Source name in the pipeline. */
  source: string;
  /** Credential strings (DSN, password) to cut out of any driver text. */
  secrets: readonly string[];
  /** `host:port/db`, safe to show. */
  target?: string;
  /** True when Sluice itself cancelled the statement (abort or early stop). */
  cancelledByUs?: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Turns anything the driver throws into a SluiceError: SQLSTATE, detail and hint kept in
 * `context`, classified into retryable (connection lost, shutdown, serialization failure) or
 * terminal (bad query, no privilege), with credentials cut out of every message.
 */
export function toPostgresError(err: unknown, scope: ErrorScope): SluiceError {
  if (err instanceof SluiceError) return err;
  if (isAbortError(err))
    return new SluiceError('CANCELLED', 'The run was interrupted.', { context: { source: scope.source } });
  if (isServerError(err)) return fromServerError(err, scope);

  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const raw = redactCredentials(typeof e?.message === 'string' ? e.message : String(err), scope.secrets);
  const where = scope.target ? ` at \`${redactCredentials(scope.target, scope.secrets)}\`` : '';
  // The raw driver error is not kept as `cause`: some driver messages echo the connection string.
  const cause = new Error(raw);
  if (
    (code && NETWORK_CODES.has(code)) ||
    /Connection terminated|connection timeout|timeout expired|ECONNRESET|socket/i.test(raw)
  ) {
    return new SluiceError(
      'SOURCE_UNAVAILABLE',
      `Source \`${scope.source}\` lost or could not open its PostgreSQL connection${where} (${code ?? raw}). Check that the server is up and reachable, then run again.`,
      { context: { source: scope.source, ...(code ? { errno: code } : {}) }, cause },
    );
  }
  if (scope.cancelledByUs) {
    return new SluiceError('CANCELLED', `Reading source \`${scope.source}\` was cancelled.`, {
      context: { source: scope.source },
      cause,
    });
  }
  return new SluiceError('SOURCE_FAILED', `Source \`${scope.source}\` failed: ${raw}`, {
    context: { source: scope.source },
    cause,
  });
}

function fromServerError(err: ServerError, scope: ErrorScope): SluiceError {
  const state = err.code;
  const klass = state.slice(0, 2);
  // Data and integrity errors often quote the offending value; their text stays out of messages.
  const mayQuoteValues = klass === '22' || klass === '23';
  const serverText = mayQuoteValues ? `SQLSTATE ${state}` : redactCredentials(err.message, scope.secrets);
  const context: Record<string, unknown> = { source: scope.source, sqlstate: state };
  if (!mayQuoteValues && err.detail) context.detail = redactCredentials(err.detail, scope.secrets);
  if (err.hint) context.hint = redactCredentials(err.hint, scope.secrets);
  for (const key of ['position', 'schema', 'table', 'column', 'routine'] as const) {
    if (err[key]) context[key] = err[key];
  }
  const named =
    /"([^"]+)"/.exec(err.message)?.[1] ?? /permission denied for \w+ (\S+)/.exec(err.message)?.[1];
  const obj = named === undefined ? '' : ` \`${named}\``;
  const src = `\`${scope.source}\``;
  const make = (code: ErrorCode, message: string, retryable?: boolean) =>
    new SluiceError(code, message, {
      context,
      cause: err,
      ...(retryable === undefined ? {} : { retryable }),
    });

  if (state === '57014') {
    if (/statement timeout/i.test(err.message)) {
      return make(
        'TIMEOUT',
        `The query of source ${src} ran longer than \`statement_timeout_ms\` and was cancelled by the server. Raise \`statement_timeout_ms\` on the connection, or narrow the query.`,
      );
    }
    if (scope.cancelledByUs) return make('CANCELLED', `Reading source ${src} was cancelled.`);
    return make(
      'SOURCE_UNAVAILABLE',
      `The query of source ${src} was cancelled by the server or an administrator (${serverText}). Run again.`,
    );
  }
  if (state === '25P03') {
    return make(
      'TIMEOUT',
      `The extraction transaction of source ${src} was idle longer than \`idle_in_transaction_session_timeout_ms\` and the server closed it: the consumer was too slow. Raise the timeout or speed up the outputs.`,
    );
  }
  if (
    klass === '08' ||
    klass === '53' ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03' ||
    state === '40001' ||
    state === '40P01'
  ) {
    return make(
      'SOURCE_UNAVAILABLE',
      `Source ${src} lost its PostgreSQL connection or session (${serverText}). The output is incomplete and was not committed. Run again; it will retry.`,
    );
  }
  if (klass === '28') {
    return make(
      'PERMISSION_DENIED',
      `PostgreSQL refused the login of source ${src} (${serverText}). Check the user and password in the DSN secret.`,
    );
  }
  if (state === '3D000') {
    return make(
      'CONFIG_INVALID',
      `Database${obj} named in the DSN of source ${src} does not exist. Fix the DSN.`,
    );
  }
  if (state === '42501') {
    return make(
      'PERMISSION_DENIED',
      `The database user of source ${src} is not allowed to read${obj || ' an object the query uses'} (${serverText}). Ask the database owner to grant SELECT, or use another connection.`,
    );
  }
  if (state === '25006') {
    return make(
      'PERMISSION_DENIED',
      `The query of source ${src} tried to write, but extractions run in a READ ONLY transaction (${serverText}). Remove the writing function or statement.`,
    );
  }
  if (state === '42P01') {
    return make(
      'QUERY_INVALID',
      `Table${obj} in the query of source ${src} does not exist. Check its name and schema.`,
    );
  }
  if (state === '42703') {
    return make(
      'QUERY_INVALID',
      `Column${obj} in the query of source ${src} does not exist. Check its name and table.`,
    );
  }
  if (state === '42601') {
    const at = err.position ? ` at character ${err.position}` : '';
    return make(
      'QUERY_INVALID',
      `The query of source ${src} has a syntax error${at} (${serverText}). Fix the query.`,
    );
  }
  if (klass === '42') {
    return make(
      'QUERY_INVALID',
      `PostgreSQL rejected the query of source ${src} (${serverText}). Fix the query.`,
    );
  }
  return make(
    'SOURCE_FAILED',
    `PostgreSQL failed while reading source ${src} (${serverText}). The output is incomplete and was not committed.`,
  );
}

function isServerError(err: unknown): err is ServerError {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown } | undefined;
  return (
    typeof e?.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) &&
    typeof e.severity === 'string' &&
    typeof e.message === 'string'
  );
}

/** Cuts credentials out of driver text: the given secrets, and any `scheme://user:password@`. */
export function redactCredentials(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@\s]*)@/gi, '$1$2:[redacted]@');
}
