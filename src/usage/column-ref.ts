import { SluiceError } from '../core/errors.js';

/** A base-table column named on the command line: `[connection.]relation.column`. */
export interface ColumnRef {
  /** Undefined when the name has two parts (`table.column`). */
  connection: string | undefined;
  /** The relation, possibly schema-qualified (`customers`, `public.customers`). */
  relation: string;
  column: string;
}

/**
 * Parses `connection.table.column` (`withConnection: 'required'`), `table.column`, or, when the
 * connection is optional, either: with three or more parts the first is the connection.
 */
export function parseColumnRef(text: string, withConnection: 'required' | 'optional' | 'none'): ColumnRef {
  const parts = text.split('.');
  const min = withConnection === 'required' ? 3 : 2;
  if (parts.length < min || parts.some((p) => p === '')) {
    const form = withConnection === 'required' ? 'connection.table.column' : 'table.column';
    throw new SluiceError(
      'USAGE',
      `\`${text}\` is not a column name of the form \`${form}\` (e.g. \`${withConnection === 'required' ? 'demo.' : ''}customers.email\`).`,
      { context: { column: text } },
    );
  }
  const column = parts.pop() as string;
  const connection = withConnection === 'none' || parts.length < 2 ? undefined : parts.shift();
  return { connection, relation: parts.join('.'), column };
}

/**
 * Whether relation `name` (as a manifest or audit record writes it, e.g. `customers` or
 * `main.customers`) is the relation `wanted`: equal ignoring case, or one is a dot-bounded suffix
 * of the other (queries name tables with or without their schema).
 */
export function relationMatches(name: string, wanted: string): boolean {
  const a = name.toLowerCase().replaceAll('"', '');
  const b = wanted.toLowerCase().replaceAll('"', '');
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** Whether a row naming `connection`, `relation` and `column` is `ref` (`*` matches any column). */
export function refMatches(ref: ColumnRef, connection: string, relation: string, column: string): boolean {
  if (ref.connection !== undefined && connection.toLowerCase() !== ref.connection.toLowerCase()) return false;
  if (column !== '*' && column.toLowerCase() !== ref.column.toLowerCase()) return false;
  return relationMatches(relation, ref.relation);
}

/** `connection.relation.column` for display. */
export function formatColumnRef(ref: ColumnRef): string {
  return [ref.connection, ref.relation, ref.column].filter((p) => p !== undefined).join('.');
}
