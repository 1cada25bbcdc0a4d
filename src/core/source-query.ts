import { SluiceError } from './errors.js';

/** Quotes one SQL identifier: `a"b` → `"a""b"` (PostgreSQL and DuckDB alike). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a dotted name part by part: `main.orders` → `"main"."orders"`. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/**
 * The SQL a source runs: its `query`, or a `SELECT` of its `table` and `columns`. The same text is
 * analysed by the guard, decided on by the policy and recorded in the manifest.
 */
export function sourceQuery(spec: {
  name: string;
  query?: string | undefined;
  table?: string | undefined;
  columns?: string[] | undefined;
}): string {
  if (spec.query !== undefined) return spec.query;
  if (spec.table === undefined) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `Source \`${spec.name}\` has neither \`query\` nor \`table\`. Give one of them.`,
      {
        context: { source: spec.name },
      },
    );
  }
  const columns = spec.columns && spec.columns.length > 0 ? spec.columns.map(quoteIdent).join(', ') : '*';
  return `SELECT ${columns} FROM ${quoteQualified(spec.table)}`;
}
