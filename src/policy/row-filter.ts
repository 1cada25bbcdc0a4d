import { SluiceError } from '../core/errors.js';
import type { GuardOptions } from '../guard/guard-result.js';
import { splitDotted } from './name-pattern.js';
import { deparsePg, isRecord, type PgNode, parsePg, selectStar, singleSelect, unwrap } from './pg-ast.js';
import { parseRowFilterPredicate, qualifyPredicate } from './row-filter-predicate.js';

/** A predicate every row read from `relation` must satisfy. */
export interface RowFilter {
  /** `schema.table` or `table`; matched by table name, whatever schema or alias the query uses. */
  relation: string;
  /** A boolean SQL expression over the table's own columns, e.g. `country = 'US'`. */
  predicate: string;
}

/** The alias of the filtered table inside the generated subquery; predicates are qualified by it. */
const INNER_ALIAS = 'sluice_row_filter';

/**
 * Rewrites a SELECT so that every read of a filtered table — at any depth: CTEs, subqueries,
 * joins, set operations, sublinks — goes through `(SELECT * FROM <table> WHERE <predicate>)`
 * under the table's alias or name. Works on the parse tree and deparses it; the user's SQL is
 * never concatenated. A table is matched by name in any schema and any letter case, so aliasing
 * or qualifying it cannot escape the filter; a CTE with a filtered table's name is filtered too.
 *
 * @example
 * await applyRowFilters('SELECT c.email FROM main.customers c', [{ relation: 'customers', predicate: "country = 'US'" }]);
 * // SELECT c.email FROM (SELECT * FROM main.customers sluice_row_filter WHERE sluice_row_filter.country = 'US') c
 */
export async function applyRowFilters(
  sql: string,
  filters: readonly RowFilter[],
  guardOptions: GuardOptions = {},
): Promise<string> {
  if (filters.length === 0) return sql;
  const byTable = new Map<string, PgNode[]>();
  for (const filter of filters) {
    const predicate = await parseRowFilterPredicate(filter.predicate, filter.relation, guardOptions);
    const table = tableKey(filter.relation);
    byTable.set(table, [...(byTable.get(table) ?? []), predicate]);
  }
  const tree = await parsePg(sql, 'The query');
  if (singleSelect(tree) === undefined) {
    throw new SluiceError(
      'GUARD_DENIED',
      'Row filters can only be applied to a single SELECT statement. Give exactly one SELECT.',
    );
  }
  const rewriter = new RowFilterRewriter(byTable);
  rewriter.visit(tree.stmts);
  rewriter.assertEveryReadFiltered(tree.stmts);
  return deparsePg(tree);
}

function tableKey(relation: string): string {
  const parts = splitDotted(relation) ?? [relation];
  return (parts[parts.length - 1] ?? relation).toLowerCase();
}

class RowFilterRewriter {
  /** The RangeVars this rewriter generated: the only reads of a filtered table allowed to remain. */
  private readonly filtered = new WeakSet<object>();

  constructor(private readonly byTable: ReadonlyMap<string, readonly PgNode[]>) {}

  visit(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.visit(item);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'fromClause' && Array.isArray(value)) node[key] = value.map((item) => this.fromItem(item));
      else this.visit(value);
    }
  }

  private fromItem(item: unknown): unknown {
    const wrapped = unwrap(item);
    if (wrapped === undefined) {
      this.visit(item);
      return item;
    }
    const [type, body] = wrapped;
    if (type === 'RangeVar') {
      const predicates = this.predicatesFor(body);
      return predicates === undefined ? item : this.wrap(body, predicates);
    }
    if (type === 'RangeTableSample') {
      const relation = unwrap(body.relation);
      const predicates = relation?.[0] === 'RangeVar' ? this.predicatesFor(relation[1]) : undefined;
      this.visit(body.args);
      this.visit(body.repeatable);
      if (relation === undefined || predicates === undefined) return item;
      return this.wrap(relation[1], predicates, body);
    }
    if (type === 'JoinExpr') {
      body.larg = this.fromItem(body.larg);
      body.rarg = this.fromItem(body.rarg);
      this.visit(body.quals);
      return item;
    }
    this.visit(item);
    return item;
  }

  private predicatesFor(rangeVar: PgNode): readonly PgNode[] | undefined {
    return typeof rangeVar.relname === 'string'
      ? this.byTable.get(rangeVar.relname.toLowerCase())
      : undefined;
  }

  /** `(SELECT * FROM <rel> sluice_row_filter [TABLESAMPLE …] WHERE <p1> AND …) AS <alias-or-relname>`. */
  private wrap(rangeVar: PgNode, predicates: readonly PgNode[], sample?: PgNode): PgNode {
    const { alias, ...rest } = rangeVar;
    const inner: PgNode = { ...rest, alias: { aliasname: INNER_ALIAS } };
    this.filtered.add(inner);
    const from: PgNode = sample
      ? { RangeTableSample: { ...sample, relation: { RangeVar: inner } } }
      : { RangeVar: inner };
    const qualified = predicates.map((p) => qualifyPredicate(p, INNER_ALIAS));
    const where =
      qualified.length === 1
        ? (qualified[0] as PgNode)
        : { BoolExpr: { boolop: 'AND_EXPR', args: qualified } };
    return {
      RangeSubselect: {
        subquery: selectStar(from, where),
        alias: isRecord(alias) ? alias : { aliasname: String(rangeVar.relname) },
      },
    };
  }

  /** Fails closed when a read of a filtered table survived outside a generated subquery. */
  assertEveryReadFiltered(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.assertEveryReadFiltered(item);
      return;
    }
    if (!isRecord(node)) return;
    const wrapped = unwrap(node);
    if (wrapped?.[0] === 'RangeVar' && !this.filtered.has(wrapped[1]) && this.predicatesFor(wrapped[1])) {
      throw new SluiceError(
        'GUARD_DENIED',
        `The query reads \`${String(wrapped[1].relname)}\` in a place where its row filter cannot be applied. Read it in FROM or JOIN.`,
        { context: { relation: wrapped[1].relname } },
      );
    }
    for (const value of Object.values(node)) this.assertEveryReadFiltered(value);
  }
}
