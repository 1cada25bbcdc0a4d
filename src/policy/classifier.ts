import type { RelationRef } from '../guard/statement-facts.js';
import { compilePattern, type PartMatcher } from './name-pattern.js';
import type { Policy } from './policy-schema.js';
import { classificationSchemas, DEFAULT_SCHEMAS, relationRef } from './relation-name.js';

interface CompiledClassification {
  key: string;
  class: string;
  parts: PartMatcher[];
}

/**
 * Returns the classes of one column: every classification entry that matches applies (so a
 * broad wildcard cannot be weakened by a narrower entry). `column` `*` means "any column of the
 * relation". Empty when unclassified.
 */
export type Classify = (
  connection: string,
  relation: RelationRef | string,
  column: string,
  connectionType?: string,
) => string[];

export function createClassifier(policy: Policy): Classify {
  const entries: CompiledClassification[] = [];
  for (const [key, cls] of Object.entries(policy.classifications)) {
    const parts = compilePattern(key, 4);
    // Malformed keys are reported by the loader; here they cannot match anything.
    if (parts !== undefined) entries.push({ key, class: cls, parts });
  }
  return (connection, relationInput, column, connectionType = '') => {
    const relation = typeof relationInput === 'string' ? relationRef(relationInput) : relationInput;
    const defaultSchema = policy.connections[connection]?.default_schema ?? DEFAULT_SCHEMAS[connectionType];
    const schemas = classificationSchemas(relation, connectionType, defaultSchema);
    const found = new Set<string>();
    for (const entry of entries) {
      const [conn, schema, table, col] = entry.parts as [PartMatcher, PartMatcher, PartMatcher, PartMatcher];
      if (!conn(connection) || !table(relation.name)) continue;
      if (schemas !== 'any' && !schemas.some((s) => schema(s))) continue;
      if (column !== '*' && !col(column)) continue;
      found.add(entry.class);
    }
    return [...found].sort();
  };
}
