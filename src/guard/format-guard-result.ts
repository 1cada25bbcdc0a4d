import type { GuardResult } from './guard-result.js';
import { statementLabel } from './rules.js';
import { formatColumnSource, formatRelation, type OutputLineage } from './statement-facts.js';

/** The human-readable report `pipeline guard` prints: verdict, reasons, then the facts. */
export function formatGuardResult(result: GuardResult): string {
  const { facts } = result;
  const lines: string[] = [];
  const count = result.reasons.length;
  lines.push(
    result.verdict === 'allow'
      ? 'verdict: ALLOW (the query is a plain read)'
      : `verdict: DENY (${count} reason${count === 1 ? '' : 's'})`,
  );
  for (const reason of result.reasons) lines.push(`  [${reason.rule}] ${reason.message}`);
  lines.push('');
  lines.push(
    `statements: ${facts.statementCount}${
      facts.statementCount === 0 ? '' : ` (${facts.statementKinds.map(statementLabel).join(', ')})`
    }`,
  );
  lines.push(`relations: ${list(facts.relations.map(formatRelation))}`);
  if (facts.ctes.length > 0) lines.push(`ctes: ${facts.ctes.join(', ')}`);
  lines.push('columns read:');
  if (facts.columns.length === 0) lines.push('  (none)');
  for (const c of facts.columns) {
    const columns = [...(c.star ? ['* (expand from catalog)'] : []), ...c.columns];
    lines.push(`  ${formatRelation(c.relation)}: ${columns.join(', ')}`);
  }
  for (const u of facts.unattributedColumns) {
    const candidates = u.candidates.map(formatColumnSource);
    lines.push(
      `  ? ${u.column}: ${candidates.length === 0 ? 'no relation in scope' : `one of ${candidates.join(', ')}`}`,
    );
  }
  lines.push(`functions: ${list(facts.functions)}`);
  lines.push('lineage:');
  if (facts.lineage.length === 0) lines.push('  (no output columns)');
  const width = Math.min(24, Math.max(0, ...facts.lineage.map((l) => l.output.length)));
  for (const l of facts.lineage) lines.push(`  ${l.output.padEnd(width)} <- ${describeLineage(l)}`);
  lines.push(`ast hash: ${facts.astHash}`);
  return lines.join('\n');
}

function describeLineage(lineage: OutputLineage): string {
  const sources =
    lineage.sources.length === 0 ? '(no column)' : lineage.sources.map(formatColumnSource).join(', ');
  const tags = [
    lineage.derived ? 'derived' : 'copied',
    ...(lineage.star === true ? ['expand * from catalog'] : []),
    ...(lineage.undetermined ? ['UNDETERMINED'] : []),
  ];
  return `${sources} [${tags.join(', ')}]`;
}

function list(items: string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}
