import { SluiceError } from '../core/errors.js';
import { analyzeSql } from '../guard/analyze-sql.js';
import type { GuardOptions } from '../guard/guard-result.js';
import { isRecord, type PgNode, parsePg, singleSelect, stringNode, unwrap } from './pg-ast.js';

const SELECT_KEYS = new Set(['targetList', 'whereClause', 'limitOption', 'op']);

/**
 * Parses a row-filter predicate into an expression node, or throws `CONFIG_INVALID` saying why
 * it cannot be one. A predicate is one boolean expression over the filtered table's own columns,
 * unqualified: no subqueries, no parameters, nothing the SQL guard denies.
 *
 * The predicate text is policy-authored; it is parsed inside `SELECT 1 WHERE …` and the result
 * must be exactly that shape, so text such as `true UNION SELECT …` or `true; DROP …` is refused.
 */
export async function parseRowFilterPredicate(
  predicate: string,
  relation: string,
  guardOptions: GuardOptions = {},
): Promise<PgNode> {
  const invalid = (why: string) =>
    new SluiceError(
      'CONFIG_INVALID',
      `The row filter for \`${relation}\` is not usable: ${why}. Write one boolean expression over the table's own columns, e.g. \`country = 'US'\`.`,
      { context: { relation } },
    );
  const text = `SELECT 1 WHERE ${predicate}`;
  let tree: Awaited<ReturnType<typeof parsePg>>;
  try {
    tree = await parsePg(text, `The row filter for \`${relation}\``);
  } catch (err) {
    throw invalid(
      err instanceof Error ? err.message.replace(/\. Fix it and try again\.$/, '') : 'it does not parse',
    );
  }
  const select = singleSelect(tree);
  const keys = select === undefined ? [] : Object.keys(select).filter((k) => select[k] !== undefined);
  if (
    select === undefined ||
    select.whereClause === undefined ||
    select.op !== 'SETOP_NONE' ||
    select.limitOption !== 'LIMIT_OPTION_DEFAULT' ||
    keys.some((k) => !SELECT_KEYS.has(k))
  ) {
    throw invalid('it is more than a single boolean expression');
  }
  const problem = findForbidden(select.whereClause);
  if (problem !== undefined) throw invalid(problem);
  const guard = await analyzeSql(text, guardOptions);
  if (guard.verdict === 'deny') {
    throw invalid(`the SQL guard denies it (${guard.reasons.map((r) => r.message).join(' ')})`);
  }
  return select.whereClause as PgNode;
}

function findForbidden(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findForbidden(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isRecord(node)) return undefined;
  const wrapped = unwrap(node);
  if (wrapped !== undefined) {
    const [type, body] = wrapped;
    if (type === 'SubLink' || type === 'SelectStmt') return 'it contains a subquery';
    if (type === 'ParamRef') return 'it contains a parameter placeholder';
    if (type === 'ColumnRef') {
      const fields = Array.isArray(body.fields) ? body.fields : [];
      if (fields.length !== 1 || unwrap(fields[0])?.[0] !== 'String') {
        return 'it names a column with a qualifier or `*`; name columns unqualified';
      }
      return undefined;
    }
  }
  for (const value of Object.values(node)) {
    const found = findForbidden(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A copy of the predicate with every column qualified by `alias`, so that each name resolves to
 * the filtered table and never to a column of an enclosing query.
 */
export function qualifyPredicate(predicate: PgNode, alias: string): PgNode {
  const copy = structuredClone(predicate);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isRecord(node)) return;
    const wrapped = unwrap(node);
    if (wrapped?.[0] === 'ColumnRef') {
      const fields = wrapped[1].fields as unknown[];
      wrapped[1].fields = [stringNode(alias), ...fields];
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(copy);
  return copy;
}
