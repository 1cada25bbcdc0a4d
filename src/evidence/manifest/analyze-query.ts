import type { GuardOptions } from '../../guard/guard-result.js';
import type { OutputLineage, RelationRef } from '../../guard/statement-facts.js';
import { sha256Hex } from '../canonical-json.js';

/** What the manifest records about one query; every field but the hash is null when unknown. */
export interface QueryAnalysis {
  sha256: string;
  fingerprint: string | null;
  relations: string[] | null;
  columnsRead: { relation: string; columns: string[]; star: boolean }[] | null;
  lineage: OutputLineage[] | null;
}

/**
 * Fingerprints and analyses a query with the PostgreSQL parser. A query in another dialect
 * (DuckDB, a file engine) that PostgreSQL cannot parse yields nulls rather than an error: the
 * manifest states what is known and marks the rest unknown.
 */
export async function analyzeQuery(sql: string, options: GuardOptions = {}): Promise<QueryAnalysis> {
  const sha256 = sha256Hex(sql);
  const unknown = { sha256, fingerprint: null, relations: null, columnsRead: null, lineage: null };
  const [{ analyzeSql }, parser] = await Promise.all([
    import('../../guard/analyze-sql.js'),
    import('@libpg-query/parser'),
  ]);
  let fingerprint: string;
  try {
    fingerprint = await parser.fingerprint(sql);
  } catch {
    return unknown;
  }
  try {
    const { facts } = await analyzeSql(sql, options);
    return {
      sha256,
      fingerprint,
      relations: facts.relations.map(relationName),
      columnsRead: facts.columns.map((c) => ({
        relation: relationName(c.relation),
        columns: c.columns,
        star: c.star,
      })),
      lineage: facts.lineage,
    };
  } catch {
    return { ...unknown, fingerprint };
  }
}

/**
 * A relation as the manifest names it: `catalog.schema.name` with the parts present in the query,
 * unquoted (as the audit log names relations), e.g. `public.customers`.
 */
export function relationName(relation: RelationRef): string {
  return [relation.catalog, relation.schema, relation.name].filter((p) => p !== undefined).join('.');
}
