import { SluiceError } from '../core/errors.js';
import { deparsePg, intConst, type PgNode, parsePg, selectStar, singleSelect } from './pg-ast.js';

/**
 * Limits a SELECT to `n` rows through the parse tree. A statement without a LIMIT gets `LIMIT n`
 * on its top level (which keeps its output names and ORDER BY); one with a LIMIT of at most `n`
 * is left as it is; anything else is wrapped as `SELECT * FROM (<sql>) AS limited LIMIT n`.
 */
export async function applyRowLimit(sql: string, n: number): Promise<string> {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SluiceError('INTERNAL', `Row limit ${n} is not a whole number of rows.`);
  }
  const tree = await parsePg(sql, 'The query');
  const select = singleSelect(tree);
  const first = tree.stmts?.[0];
  if (select === undefined || first === undefined) {
    throw new SluiceError('GUARD_DENIED', 'A row limit can only be applied to a single SELECT statement.');
  }
  const option = select.limitOption ?? 'LIMIT_OPTION_DEFAULT';
  if (select.limitCount === undefined && option === 'LIMIT_OPTION_DEFAULT') {
    select.limitCount = intConst(n);
    select.limitOption = 'LIMIT_OPTION_COUNT';
  } else if (option === 'LIMIT_OPTION_COUNT' && constantInt(select.limitCount) <= n) {
    return sql;
  } else {
    const subquery = { RangeSubselect: { subquery: first.stmt, alias: { aliasname: 'limited' } } };
    const outer = selectStar(subquery);
    (outer.SelectStmt as PgNode).limitCount = intConst(n);
    (outer.SelectStmt as PgNode).limitOption = 'LIMIT_OPTION_COUNT';
    first.stmt = outer;
  }
  return deparsePg(tree);
}

/** The value of an integer-constant LIMIT; Infinity for anything else (`LIMIT ALL`, expressions). */
function constantInt(node: unknown): number {
  const value = (node as { A_Const?: { ival?: { ival?: number }; isnull?: boolean } } | undefined)?.A_Const;
  if (value === undefined || value.isnull === true || value.ival === undefined)
    return Number.POSITIVE_INFINITY;
  return value.ival.ival ?? 0;
}
