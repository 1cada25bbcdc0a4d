import { compilePart } from './name-pattern.js';

const DUCKDB = [
  'query',
  'query_table',
  'read_*',
  '*_scan',
  'parquet_*',
  'sniff_csv',
  'glob',
  'getenv',
  'duckdb_*',
  'which_secret',
  'current_setting',
  'pragma_*',
  'sqlite_*',
  'postgres_*',
  'mysql_*',
  'iceberg_*',
  'delta_*',
];

/**
 * Functions that read tables, files, settings or the environment by name on a given engine, so
 * that neither row filters nor classifications can see what they read. The SQL guard's denylist
 * is PostgreSQL's; these are the engine-specific additions the decision enforces (fail closed)
 * and that callers should also pass to the guard as `denyFunctions`.
 */
export const ENGINE_DENIED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  duckdb: DUCKDB,
  fixture: DUCKDB,
  files: DUCKDB,
};

/** The called functions (as the guard reports them) that the engine's list denies. */
export function engineDeniedFunctions(connectionType: string, functions: readonly string[]): string[] {
  const patterns = (ENGINE_DENIED_FUNCTIONS[connectionType] ?? []).map(compilePart);
  return functions.filter((f) => {
    const base = f.slice(f.lastIndexOf('.') + 1);
    return patterns.some((p) => p(base));
  });
}
