import { isAbortError, SluiceError } from '../../src/index.js';

/**
 * DuckDB reports errors as plain `Error`s whose message starts with the error class
 * (`Binder Error: ...`). These classes describe a query DuckDB refused before reading a row, so
 * their message carries names from the query, never row values.
 */
const QUERY_ERROR_CLASSES = ['Parser Error', 'Binder Error', 'Catalog Error', 'Syntax Error'];

/** The DuckDB error class of `err` (`Conversion Error`, `IO Error`, ...), or undefined. */
export function duckdbErrorClass(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const match = /(?:^|: )([A-Z][A-Za-z]* Error):/.exec(message);
  return match?.[1];
}

export function isQueryError(err: unknown): boolean {
  const cls = duckdbErrorClass(err);
  return cls !== undefined && QUERY_ERROR_CLASSES.includes(cls);
}

function isInterrupt(err: unknown): boolean {
  return duckdbErrorClass(err) === 'INTERRUPT Error' || /Interrupted|INTERRUPT/.test(String(err));
}

/**
 * Turns a DuckDB failure while querying for `what` (e.g. source `customers`) into a SluiceError.
 * Parser/binder/catalog errors keep DuckDB's message (QUERY_INVALID); any other failure reports
 * only DuckDB's error class, because messages such as conversion errors quote row values.
 */
export function queryFailure(
  err: unknown,
  what: string,
  signal: AbortSignal | undefined,
  fallback: 'SOURCE_FAILED' | 'SINK_FAILED' = 'SOURCE_FAILED',
): SluiceError {
  if (err instanceof SluiceError) return err;
  if (signal?.aborted || isAbortError(err) || isInterrupt(err)) {
    return new SluiceError('CANCELLED', 'The run was interrupted.', { cause: signal?.reason ?? err });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isQueryError(err)) {
    return new SluiceError(
      'QUERY_INVALID',
      `DuckDB rejected the query of ${what}: ${message}\nFix the query (table and column names, syntax) and run again.`,
      { context: { component: what, duckdb_error: duckdbErrorClass(err) }, cause: err },
    );
  }
  const cls = duckdbErrorClass(err) ?? 'error';
  return new SluiceError(
    fallback,
    `DuckDB failed while running the query of ${what} (${cls}). The DuckDB message is kept as the cause; it is not shown because it may quote row values.`,
    { context: { component: what, duckdb_error: cls }, cause: err },
  );
}

export function unsupportedTypeError(what: string, column: string, sqlType: string): SluiceError {
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `Column \`${column}\` of ${what} has DuckDB type \`${sqlType}\`, which Sluice cannot map to Arrow. Cast it in the query, e.g. \`CAST(${column} AS VARCHAR)\`, or leave the column out.`,
    { context: { component: what, column, duckdb_type: sqlType } },
  );
}
