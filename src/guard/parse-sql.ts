import { SluiceError } from '../core/errors.js';

/** One statement of a libpg-query parse tree: `{ SelectStmt: {...} }` and the like. */
export type WrappedNode = Record<string, unknown>;

export interface ParsedSql {
  version: number;
  statements: WrappedNode[];
}

/**
 * Starts loading the parser (its WebAssembly compiles off the main thread) so that the first
 * `parseSql` does not wait for it; call early, where the run still reads its configuration. Errors
 * are left for `parseSql` to report.
 */
export function warmSqlParser(): void {
  import('@libpg-query/parser').then(
    ({ loadModule }) => loadModule().catch(() => undefined),
    () => undefined,
  );
}

/**
 * Parses SQL with the PostgreSQL 17 parser (libpg-query). Blank or comment-only text yields no
 * statements. A syntax error throws `QUERY_INVALID` naming the parser's message and position.
 */
export async function parseSql(sql: string): Promise<ParsedSql> {
  if (sql.trim() === '') return { version: 0, statements: [] };
  // Loaded lazily: the module compiles a WebAssembly parser when first imported. The same module
  // serves fingerprints and the policy's parse trees, so a run compiles one parser, not two.
  const { parse } = await import('@libpg-query/parser');
  let tree: { version?: number; stmts?: { stmt?: WrappedNode }[] };
  try {
    tree = await parse(sql);
  } catch (err) {
    throw parseError(sql, err);
  }
  const statements = (tree.stmts ?? []).map((s) => s.stmt ?? {});
  return { version: tree.version ?? 0, statements };
}

function parseError(sql: string, err: unknown): SluiceError {
  const details = (err as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
  const parserMessage = details?.message ?? (err instanceof Error ? err.message : String(err));
  const offset = details?.cursorPosition;
  const where = offset === undefined ? '' : ` at ${lineColumn(sql, offset)}`;
  return new SluiceError(
    'QUERY_INVALID',
    `The SQL does not parse: ${parserMessage}${where}. Fix the SQL text and run again.`,
    {
      cause: err,
      context: {
        parserMessage,
        ...(offset === undefined ? {} : { position: offset + 1 }),
      },
    },
  );
}

/** `line L, column C` (1-based) for a 0-based character offset. */
function lineColumn(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column} (position ${offset + 1})`;
}
