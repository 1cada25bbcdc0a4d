import type { IdentityFacts } from '../core/events.js';
import type { StatementFacts } from '../guard/statement-facts.js';
import { compilePart, type PartMatcher, splitDotted } from './name-pattern.js';
import type { PolicyRule } from './policy-schema.js';
import { type NormalizedRelation, normalizeRelation, relationLabel } from './relation-name.js';

export type RelationMatcher = (relation: NormalizedRelation) => boolean;
export type ColumnMatcher = (relation: NormalizedRelation, column: string) => boolean;

/** Why the rule does not apply to this identity, or undefined when it does. */
export function identityMismatch(
  rule: Pick<PolicyRule, 'subjects' | 'groups' | 'methods' | 'allow_unverified'>,
  identity: IdentityFacts,
): string | undefined {
  if (!identity.verified && !rule.allow_unverified) {
    return `the identity is unverified (method \`${identity.method}\`) and the rule does not set \`allow_unverified: true\``;
  }
  if (rule.methods !== undefined && !rule.methods.includes(identity.method as 'oidc' | 'token' | 'local')) {
    return `method \`${identity.method}\` is not in its \`methods\``;
  }
  const bySubject = rule.subjects.some((s) => s === '*' || s === identity.subject);
  const byGroup = rule.groups.some((g) => identity.groups.includes(g));
  if (!bySubject && !byGroup)
    return `subject \`${identity.subject}\` and its groups are not in its \`subjects\` or \`groups\``;
  return undefined;
}

export function listed(values: readonly string[], value: string): boolean {
  return values.some((v) => v === '*' || compilePart(v)(value));
}

/** `table` (default schema) or `schema.table`; `*` within a part matches any characters. */
export function tableMatcher(pattern: string, defaultSchema: string): RelationMatcher {
  return tablePartsMatcher(splitDotted(pattern) ?? [], defaultSchema);
}

function tablePartsMatcher(parts: readonly string[], defaultSchema: string): RelationMatcher {
  if (parts.length === 1) {
    const name = compilePart(parts[0] as string);
    const schema = defaultSchema.toLowerCase();
    return (r) => r.schema === schema && name(r.name);
  }
  if (parts.length === 2) {
    const [schema, name] = parts.map(compilePart) as [PartMatcher, PartMatcher];
    return (r) => schema(r.schema) && name(r.name);
  }
  return () => false;
}

/** `column` (any table), `table.column` (default schema) or `schema.table.column`. */
export function columnMatcher(pattern: string, defaultSchema: string): ColumnMatcher {
  const parts = splitDotted(pattern) ?? [];
  if (parts.length < 1 || parts.length > 3) return () => false;
  const column = compilePart(parts[parts.length - 1] as string);
  const table = columnTableMatcher(parts, defaultSchema);
  return (r, c) => table(r) && column(c);
}

/** The table part of a column pattern; a bare `column` pattern applies to every table. */
function columnTableMatcher(parts: readonly string[], defaultSchema: string): RelationMatcher {
  return parts.length === 1 ? () => true : tablePartsMatcher(parts.slice(0, -1), defaultSchema);
}

/** Every table and column the query reads that the rule does not grant, as messages. */
export function grantProblems(rule: PolicyRule, facts: StatementFacts, defaultSchema: string): string[] {
  const problems: string[] = [];
  const tables = rule.tables.map((t) => tableMatcher(t, defaultSchema));
  for (const ref of facts.relations) {
    const relation = normalizeRelation(ref, defaultSchema);
    if (!tables.some((m) => m(relation))) {
      problems.push(
        `Rule \`${rule.id}\` does not grant table \`${relationLabel(relation)}\`; it grants ${rule.tables.map((t) => `\`${t}\``).join(', ')}.`,
      );
    }
  }
  const allow = rule.columns?.allow?.map((c) => columnMatcher(c, defaultSchema));
  const deny = (rule.columns?.deny ?? []).map((c) => columnMatcher(c, defaultSchema));
  const denyTables = (rule.columns?.deny ?? []).map((c) =>
    columnTableMatcher(splitDotted(c) ?? [], defaultSchema),
  );
  const check = (relation: NormalizedRelation, column: string) => {
    const where = `\`${relationLabel(relation)}.${column}\``;
    if (deny.some((m) => m(relation, column))) {
      problems.push(`Rule \`${rule.id}\` denies column ${where}. Remove it from the query.`);
    } else if (allow !== undefined && !allow.some((m) => m(relation, column))) {
      problems.push(`Rule \`${rule.id}\` does not grant column ${where}. Remove it from the query.`);
    }
  };
  const checkStar = (relation: NormalizedRelation) => {
    const label = relationLabel(relation);
    const allowed = allow === undefined || allow.some((m) => m(relation, '*'));
    if (!allowed || denyTables.some((m) => m(relation))) {
      problems.push(
        `The query reads every column of \`${label}\` (\`*\`), and rule \`${rule.id}\` grants only some of them. Name the columns instead of \`*\`.`,
      );
    }
  };
  for (const read of facts.columns) {
    const relation = normalizeRelation(read.relation, defaultSchema);
    for (const column of read.columns) check(relation, column);
    if (read.star) checkStar(relation);
  }
  for (const unattributed of facts.unattributedColumns) {
    for (const candidate of unattributed.candidates) {
      const relation = normalizeRelation(candidate.relation, defaultSchema);
      if (candidate.column === '*') checkStar(relation);
      else check(relation, candidate.column);
    }
  }
  return [...new Set(problems)];
}
