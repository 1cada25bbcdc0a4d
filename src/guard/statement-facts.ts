/** A relation as written in the query: schema (and catalog) only when the query qualified it. */
export interface RelationRef {
  catalog?: string;
  schema?: string;
  name: string;
}

/** One column of one base relation. `column` is `*` when every column of the relation flows in. */
export interface ColumnSource {
  relation: RelationRef;
  column: string;
}

/** The columns the query reads from one base relation (in any clause, not only the output). */
export interface ColumnsRead {
  relation: RelationRef;
  /** Column names, in first-seen order. */
  columns: string[];
  /** True when the query reads `*`, `t.*` or the whole row `t`: expand from the catalog. */
  star: boolean;
}

/** A column reference the guard could not pin to a single relation without the catalog. */
export interface UnattributedColumn {
  column: string;
  /** Every relation (or `*` of a relation, for whole-row references) it may come from. */
  candidates: ColumnSource[];
}

/** Where one output column of the query comes from. */
export interface OutputLineage {
  /** The output column name as PostgreSQL would name it (`?column?` when it has none). */
  output: string;
  /** The base-relation columns the value derives from; empty for constants and `count(*)`. */
  sources: ColumnSource[];
  /** False only when the value is a source column passed through unchanged (aliases included). */
  derived: boolean;
  /** True when the sources could not be traced completely; a policy must not rely on them. */
  undetermined: boolean;
  /** True for a `*` / `t.*` over a base relation that still needs expanding from the catalog. */
  star?: boolean;
}

/** What the guard learned about a SQL text, independent of whether it is allowed. */
export interface StatementFacts {
  statementCount: number;
  /** libpg-query node type of each statement, e.g. `SelectStmt`, `DeleteStmt`. */
  statementKinds: string[];
  /** Base relations read, CTE names excluded, in first-seen order. */
  relations: RelationRef[];
  /** Names of the CTEs the query defines. */
  ctes: string[];
  columns: ColumnsRead[];
  unattributedColumns: UnattributedColumn[];
  /** Functions called, as PostgreSQL names them (unquoted identifiers folded to lower case). */
  functions: string[];
  lineage: OutputLineage[];
  /**
   * SHA-256 (hex) of the parse tree without source positions: equal for the same statement
   * whatever its whitespace, comments or keyword case; different when any literal differs.
   */
  astHash: string;
}

/** `schema.name` with identifiers double-quoted where PostgreSQL would need it. */
export function formatRelation(relation: RelationRef): string {
  return [relation.catalog, relation.schema, relation.name]
    .filter((part): part is string => part !== undefined)
    .map(quoteIdentIfNeeded)
    .join('.');
}

/** `schema.table.column` (or `table.*`), quoted like {@link formatRelation}. */
export function formatColumnSource(source: ColumnSource): string {
  const column = source.column === '*' ? '*' : quoteIdentIfNeeded(source.column);
  return `${formatRelation(source.relation)}.${column}`;
}

/** Quotes an identifier only when PostgreSQL would need it (`customers`, but `"Order Lines"`). */
export function quoteIdentIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function relationKey(relation: RelationRef): string {
  return JSON.stringify([relation.catalog ?? null, relation.schema ?? null, relation.name]);
}
