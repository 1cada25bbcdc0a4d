import type { RelationRef } from '../guard/statement-facts.js';
import { splitDotted } from './name-pattern.js';

/** Schema an unqualified table resolves to, by connection type, unless the policy says otherwise. */
export const DEFAULT_SCHEMAS: Readonly<Record<string, string>> = {
  postgres: 'public',
  duckdb: 'main',
  fixture: 'main',
  files: 'main',
};

/**
 * Connection types whose engine reads `a.b` either as schema `a` or as catalog `a` with its default
 * schema (DuckDB does). Classification matching tries both readings.
 */
const CATALOG_AMBIGUOUS = new Set(['duckdb', 'fixture', 'files']);

/** A relation with its schema made explicit, lower-cased for matching. */
export interface NormalizedRelation {
  schema: string;
  name: string;
  /** True when the query wrote the schema itself. */
  qualified: boolean;
}

export function normalizeRelation(relation: RelationRef, defaultSchema: string): NormalizedRelation {
  return {
    schema: (relation.schema ?? defaultSchema).toLowerCase(),
    name: relation.name.toLowerCase(),
    qualified: relation.schema !== undefined,
  };
}

/** `schema.table`, for messages and row filters. */
export function relationLabel(relation: NormalizedRelation): string {
  return `${relation.schema}.${relation.name}`;
}

/**
 * The schemas a classification may name for this relation: any schema when the query did not
 * qualify it (search_path and attached catalogs decide at run time, so match them all), else the
 * written one — plus the default schema where `a.b` may mean catalog `a`.
 */
export function classificationSchemas(
  relation: RelationRef,
  connectionType: string,
  defaultSchema: string | undefined,
): string[] | 'any' {
  if (relation.schema === undefined) return 'any';
  const schemas = [relation.schema];
  if (
    relation.catalog === undefined &&
    CATALOG_AMBIGUOUS.has(connectionType) &&
    defaultSchema !== undefined
  ) {
    schemas.push(defaultSchema);
  }
  return schemas;
}

/** Parses `schema.table` or `table` written by a caller into a relation reference. */
export function relationRef(text: string): RelationRef {
  const parts = splitDotted(text) ?? [text];
  const name = parts[parts.length - 1] ?? text;
  if (parts.length === 1) return { name };
  const schema = parts[parts.length - 2] ?? '';
  return parts.length === 2 ? { schema, name } : { catalog: parts.slice(0, -2).join('.'), schema, name };
}
