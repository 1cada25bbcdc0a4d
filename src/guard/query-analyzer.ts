import type { GuardOptions } from './guard-result.js';
import type { WrappedNode } from './parse-sql.js';
import {
  type ColumnSource,
  type ColumnsRead,
  type OutputLineage,
  type RelationRef,
  relationKey,
  type StatementFacts,
  type UnattributedColumn,
} from './statement-facts.js';

/** What the rules look at, beside the facts. */
export interface Observations {
  statementKinds: string[];
  /** Statement kinds found inside WITH (INSERT/UPDATE/DELETE/MERGE). */
  modifyingCtes: string[];
  selectInto: number;
  /** Lock strengths of `FOR UPDATE`/`FOR SHARE`… clauses. */
  lockingClauses: string[];
  functions: string[];
  relations: RelationRef[];
  /** Node types or constructs the analyzer does not know, e.g. `SetToDefault`. */
  unclassified: string[];
}

export type AnalyzedFacts = Omit<StatementFacts, 'astHash'>;

interface Lineage {
  sources: ColumnSource[];
  derived: boolean;
  undetermined: boolean;
}

interface FromItem {
  /** Alias, or the relation name when not aliased; undefined for an unaliased subquery. */
  name: string | undefined;
  kind: 'base' | 'derived' | 'join';
  /** For a base relation: the relation read. */
  relation?: RelationRef;
  /** True when the relation has an alias, which hides its schema-qualified name. */
  aliased?: boolean;
  /** Base relation columns from the catalog, when `columnsOf` knows them. */
  catalogColumns?: readonly string[];
  /** `t AS x(a, b)`: new names for the first columns of a base relation. */
  columnAliases?: string[];
  outputs: OutputLineage[];
  /** For a function scan: any column name resolves to this. */
  anyColumn?: Lineage;
  children: FromItem[];
}

interface Scope {
  items: FromItem[];
  ctes: Map<string, OutputLineage[]>;
  parent: Scope | undefined;
  /** Output aliases of the SELECT, visible to its ORDER BY / GROUP BY. */
  outputAliases?: Set<string>;
}

interface Hit {
  certainty: 'definite' | 'maybe';
  lineage: Lineage;
  /** Base-relation columns to record as read when this hit is the resolution. */
  reads: ColumnSource[];
}

const NONE: Lineage = { sources: [], derived: true, undetermined: false };
const TABLESAMPLE_METHODS = new Set(['system', 'bernoulli', 'system_rows', 'system_time']);
const MODIFYING = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

const LEAF_NODES = new Set([
  'A_Const',
  'ParamRef',
  'SQLValueFunction',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'A_Star',
]);

/** Expression nodes whose children are all expressions: walked field by field. */
const GENERIC_NODES = new Set([
  'A_Expr',
  'BoolExpr',
  'TypeCast',
  'CollateClause',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'MinMaxExpr',
  'NullTest',
  'BooleanTest',
  'RowExpr',
  'A_ArrayExpr',
  'A_Indirection',
  'A_Indices',
  'XmlExpr',
  'XmlSerialize',
  'GroupingFunc',
  'GroupingSet',
  'List',
  'NamedArgExpr',
  'SortBy',
  'WindowDef',
  'TypeName',
  'ResTarget',
  'JsonValueExpr',
  'JsonFormat',
  'JsonOutput',
  'JsonReturning',
  'JsonBehavior',
  'JsonArgument',
  'JsonFuncExpr',
  'JsonTablePathSpec',
  'JsonKeyValue',
  'JsonParseExpr',
  'JsonScalarExpr',
  'JsonSerializeExpr',
  'JsonObjectConstructor',
  'JsonArrayConstructor',
  'JsonArrayQueryConstructor',
  'JsonObjectAgg',
  'JsonArrayAgg',
  'JsonAggConstructor',
  'JsonIsPredicate',
]);

const SELECT_KEYS = new Set([
  'distinctClause',
  'intoClause',
  'targetList',
  'fromClause',
  'whereClause',
  'groupClause',
  'groupDistinct',
  'havingClause',
  'windowClause',
  'valuesLists',
  'sortClause',
  'limitOffset',
  'limitCount',
  'limitOption',
  'lockingClause',
  'withClause',
  'op',
  'all',
  'larg',
  'rarg',
]);

/**
 * Walks libpg-query statements and collects facts (relations, columns, functions, lineage) and the
 * observations the rules judge. Anything it does not recognise is reported as unclassified.
 */
export function analyzeStatements(
  statements: WrappedNode[],
  options: GuardOptions = {},
): {
  facts: AnalyzedFacts;
  observations: Observations;
} {
  const analyzer = new QueryAnalyzer(options);
  const kinds: string[] = [];
  let lineage: OutputLineage[] | undefined;
  for (const statement of statements) {
    const [kind, body] = unwrap(statement) ?? ['Unknown', {}];
    kinds.push(kind);
    if (kind === 'SelectStmt') {
      const outputs = analyzer.select(body, undefined);
      lineage ??= outputs;
    }
  }
  return analyzer.result(kinds, lineage ?? []);
}

class QueryAnalyzer {
  private readonly relations = new Map<string, RelationRef>();
  private readonly columns = new Map<
    string,
    { relation: RelationRef; columns: Set<string>; star: boolean }
  >();
  private readonly unattributed = new Map<string, UnattributedColumn>();
  private readonly functions = new Set<string>();
  private readonly ctes = new Set<string>();
  private readonly unclassified = new Set<string>();
  private readonly modifyingCtes: string[] = [];
  private readonly lockingClauses: string[] = [];
  private selectInto = 0;

  constructor(private readonly options: GuardOptions) {}

  result(kinds: string[], lineage: OutputLineage[]): { facts: AnalyzedFacts; observations: Observations } {
    const relations = [...this.relations.values()];
    const columns: ColumnsRead[] = [...this.columns.values()].map((c) => ({
      relation: c.relation,
      columns: [...c.columns],
      star: c.star,
    }));
    const functions = [...this.functions];
    return {
      facts: {
        statementCount: kinds.length,
        statementKinds: kinds,
        relations,
        ctes: [...this.ctes],
        columns,
        unattributedColumns: [...this.unattributed.values()],
        functions,
        lineage,
      },
      observations: {
        statementKinds: kinds,
        modifyingCtes: this.modifyingCtes,
        selectInto: this.selectInto,
        lockingClauses: this.lockingClauses,
        functions,
        relations,
        unclassified: [...this.unclassified],
      },
    };
  }

  // ---- SELECT -------------------------------------------------------------------------------

  select(stmt: Record<string, unknown>, parent: Scope | undefined): OutputLineage[] {
    this.checkKeys('SelectStmt', stmt, SELECT_KEYS);
    const scope: Scope = { items: [], ctes: new Map(), parent };
    if (stmt.withClause !== undefined) this.withClause(asRecord(stmt.withClause), scope);
    if (stmt.intoClause !== undefined) this.selectInto++;
    for (const lock of asArray(stmt.lockingClause)) {
      const body = unwrap(lock);
      this.lockingClauses.push(String(body?.[1].strength ?? 'unknown'));
    }

    let outputs: OutputLineage[];
    const op = stmt.op ?? 'SETOP_NONE';
    if (op !== 'SETOP_NONE') {
      const left = this.select(asRecord(stmt.larg), scope);
      const right = this.select(asRecord(stmt.rarg), scope);
      outputs = combineSetOperation(left, right);
    } else if (stmt.valuesLists !== undefined) {
      outputs = this.values(asArray(stmt.valuesLists), scope);
    } else {
      for (const item of asArray(stmt.fromClause)) this.fromItem(item, scope);
      outputs = this.targetList(asArray(stmt.targetList), scope);
    }

    this.expr(stmt.whereClause, scope);
    this.exprs(stmt.groupClause, scope);
    this.expr(stmt.havingClause, scope);
    this.exprs(stmt.windowClause, scope);
    this.exprs(stmt.distinctClause, scope);
    // ORDER BY prefers output names (GROUP BY prefers input columns, so it stays above).
    this.exprs(stmt.sortClause, { ...scope, outputAliases: new Set(outputs.map((o) => o.output)) });
    this.expr(stmt.limitOffset, scope);
    this.expr(stmt.limitCount, scope);
    return outputs;
  }

  private withClause(withClause: Record<string, unknown>, scope: Scope): void {
    const recursive = withClause.recursive === true;
    const ctes = asArray(withClause.ctes).map((node) => {
      const [type, body] = unwrap(node) ?? ['Unknown', {}];
      if (type !== 'CommonTableExpr') this.unclassified.add(type);
      return body;
    });
    if (recursive) {
      for (const cte of ctes) scope.ctes.set(String(cte.ctename), placeholderOutputs(cte));
    }
    for (const cte of ctes) {
      const name = String(cte.ctename);
      this.ctes.add(name);
      this.expr(cte.search_clause, scope);
      this.expr(cte.cycle_clause, scope);
      const [kind, body] = unwrap(cte.ctequery) ?? ['Unknown', {}];
      let outputs: OutputLineage[];
      if (kind === 'SelectStmt') {
        if (recursive && body.op !== undefined && body.op !== 'SETOP_NONE' && body.larg !== undefined) {
          // The recursive term refers to the CTE itself: seed it with the non-recursive term.
          scope.ctes.set(name, renameOutputs(this.select(asRecord(body.larg), scope), cte.aliascolnames));
        }
        outputs = this.select(body, scope);
      } else if (MODIFYING.has(kind)) {
        this.modifyingCtes.push(kind);
        outputs = placeholderOutputs(cte);
      } else {
        this.unclassified.add(kind);
        outputs = placeholderOutputs(cte);
      }
      scope.ctes.set(name, renameOutputs(outputs, cte.aliascolnames));
    }
  }

  private values(rows: unknown[], scope: Scope): OutputLineage[] {
    const columns: Lineage[][] = [];
    for (const row of rows) {
      const [type, body] = unwrap(row) ?? ['Unknown', {}];
      if (type !== 'List') {
        this.unclassified.add(type);
        continue;
      }
      asArray(body.items).forEach((item, i) => {
        const column = columns[i] ?? [];
        column.push(this.expr(item, scope));
        columns[i] = column;
      });
    }
    return columns.map((lineages, i) => ({ output: `column${i + 1}`, ...merge(lineages) }));
  }

  private targetList(targets: unknown[], scope: Scope): OutputLineage[] {
    const outputs: OutputLineage[] = [];
    for (const target of targets) {
      const [type, body] = unwrap(target) ?? ['Unknown', {}];
      if (type !== 'ResTarget') {
        this.unclassified.add(type);
        continue;
      }
      this.checkKeys('ResTarget', body, new Set(['name', 'indirection', 'val', 'location']));
      this.exprs(body.indirection, scope);
      const star = starTarget(body.val);
      if (star !== undefined && body.name === undefined) {
        outputs.push(...this.expandStar(star, scope));
        continue;
      }
      const lineage = this.expr(body.val, scope);
      const output = typeof body.name === 'string' ? body.name : outputName(body.val);
      outputs.push({ output, ...lineage });
    }
    return outputs;
  }

  // ---- FROM ---------------------------------------------------------------------------------

  private fromItem(node: unknown, scope: Scope): void {
    const [type, body] = unwrap(node) ?? ['Unknown', {}];
    switch (type) {
      case 'RangeVar':
        scope.items.push(this.rangeVar(body, scope));
        return;
      case 'RangeSubselect': {
        this.checkKeys(type, body, new Set(['lateral', 'subquery', 'alias']));
        const parent = body.lateral === true ? scope : ctesOnly(scope);
        const [subType, sub] = unwrap(body.subquery) ?? ['Unknown', {}];
        if (subType !== 'SelectStmt') {
          this.unclassified.add(subType);
          return;
        }
        const alias = asRecord(body.alias);
        scope.items.push({
          name: optionalString(alias.aliasname),
          kind: 'derived',
          outputs: renameOutputs(this.select(sub, parent), alias.colnames),
          children: [],
        });
        return;
      }
      case 'RangeFunction':
        scope.items.push(this.rangeFunction(body, scope));
        return;
      case 'JoinExpr': {
        this.checkKeys(
          type,
          body,
          new Set([
            'jointype',
            'isNatural',
            'larg',
            'rarg',
            'usingClause',
            'join_using_alias',
            'quals',
            'alias',
          ]),
        );
        const start = scope.items.length;
        this.fromItem(body.larg, scope);
        const middle = scope.items.length;
        this.fromItem(body.rarg, scope);
        for (const using of asArray(body.usingClause)) {
          const column = stringValue(using);
          if (column === undefined) continue;
          for (const side of [scope.items.slice(start, middle), scope.items.slice(middle)]) {
            const hits = side.map((i) => lookupColumn(i, column, false)).filter((h) => h !== undefined);
            if (hits.length === 1) for (const read of hits[0]!.reads) this.recordRead(read);
          }
        }
        this.expr(body.quals, scope);
        const alias = optionalString(asRecord(body.alias).aliasname);
        if (alias !== undefined) {
          const children = scope.items.splice(start);
          scope.items.push({ name: alias, kind: 'join', outputs: [], children });
        }
        return;
      }
      case 'RangeTableSample': {
        const method = asArray(body.method).map(stringValue).join('.');
        if (!TABLESAMPLE_METHODS.has(method.toLowerCase())) {
          this.unclassified.add(`TABLESAMPLE method \`${method}\``);
        }
        this.exprs(body.args, scope);
        this.expr(body.repeatable, scope);
        this.fromItem(body.relation, scope);
        return;
      }
      case 'RangeTableFunc': {
        const doc = merge([
          this.expr(body.docexpr, scope),
          this.expr(body.rowexpr, scope),
          ...asArray(body.namespaces).map((n) => this.expr(n, scope)),
        ]);
        const outputs: OutputLineage[] = [];
        for (const column of asArray(body.columns)) {
          const [colType, col] = unwrap(column) ?? ['Unknown', {}];
          if (colType !== 'RangeTableFuncCol') {
            this.unclassified.add(colType);
            continue;
          }
          const own = merge([this.expr(col.colexpr, scope), this.expr(col.coldefexpr, scope), doc]);
          outputs.push({ output: String(col.colname), ...own });
        }
        scope.items.push(derivedItem(body.alias, outputs, doc));
        return;
      }
      case 'JsonTable': {
        const doc = merge([
          this.expr(body.context_item, scope),
          this.expr(body.pathspec, scope),
          ...asArray(body.passing).map((n) => this.expr(n, scope)),
          this.expr(body.on_error, scope),
        ]);
        const outputs = this.jsonTableColumns(asArray(body.columns), scope, doc);
        scope.items.push(derivedItem(body.alias, outputs, doc));
        return;
      }
      default:
        this.unclassified.add(type);
    }
  }

  private rangeVar(body: Record<string, unknown>, scope: Scope): FromItem {
    this.checkKeys(
      'RangeVar',
      body,
      new Set(['catalogname', 'schemaname', 'relname', 'inh', 'relpersistence', 'alias', 'location']),
    );
    const relname = String(body.relname);
    const alias = asRecord(body.alias);
    const aliasName = optionalString(alias.aliasname);
    if (body.schemaname === undefined && body.catalogname === undefined) {
      const cte = findCte(scope, relname);
      if (cte !== undefined) {
        return {
          name: aliasName ?? relname,
          kind: 'derived',
          outputs: renameOutputs(cte, alias.colnames),
          children: [],
        };
      }
    }
    const relation: RelationRef = { name: relname };
    if (typeof body.catalogname === 'string') relation.catalog = body.catalogname;
    if (typeof body.schemaname === 'string') relation.schema = body.schemaname;
    const key = relationKey(relation);
    if (!this.relations.has(key)) this.relations.set(key, relation);
    const item: FromItem = {
      name: aliasName ?? relname,
      kind: 'base',
      relation,
      aliased: aliasName !== undefined,
      outputs: [],
      children: [],
    };
    const known = this.options.columnsOf?.(relation);
    if (known !== undefined) item.catalogColumns = known;
    const renamed = asArray(alias.colnames)
      .map(stringValue)
      .filter((n): n is string => n !== undefined);
    if (renamed.length > 0) item.columnAliases = renamed;
    return item;
  }

  private rangeFunction(body: Record<string, unknown>, scope: Scope): FromItem {
    this.checkKeys(
      'RangeFunction',
      body,
      new Set(['lateral', 'ordinality', 'is_rowsfrom', 'functions', 'alias', 'coldeflist']),
    );
    const lineages: Lineage[] = [];
    const columnNames: string[] = [];
    for (const entry of asArray(body.functions)) {
      const [type, list] = unwrap(entry) ?? ['Unknown', {}];
      if (type !== 'List') {
        this.unclassified.add(type);
        continue;
      }
      const [call, coldefs] = asArray(list.items);
      lineages.push(this.expr(call, scope));
      const defined = this.columnDefNames(coldefs);
      columnNames.push(...(defined.length > 0 ? defined : [outputName(call)]));
    }
    columnNames.push(...this.columnDefNames(body.coldeflist));
    const lineage = merge(lineages);
    const alias = asRecord(body.alias);
    const aliasNames = asArray(alias.colnames).map(stringValue);
    const aliasName = optionalString(alias.aliasname);
    const names = aliasNames.length > 0 ? aliasNames : columnNames;
    // A single unaliased-column function takes the table alias as its column name.
    if (aliasNames.length === 0 && names.length === 1 && aliasName !== undefined) names[0] = aliasName;
    const outputs = names
      .filter((n): n is string => n !== undefined)
      .map((output) => ({ output, ...lineage }));
    if (body.ordinality === true) outputs.push({ output: 'ordinality', ...NONE });
    return {
      name: aliasName ?? outputs[0]?.output,
      kind: 'derived',
      outputs,
      anyColumn: lineage,
      children: [],
    };
  }

  private columnDefNames(node: unknown): string[] {
    const list = unwrap(node);
    const items = list === undefined ? asArray(node) : asArray(list[1].items);
    const names: string[] = [];
    for (const item of items) {
      const [type, def] = unwrap(item) ?? ['Unknown', {}];
      if (type !== 'ColumnDef') {
        this.unclassified.add(type);
        continue;
      }
      names.push(String(def.colname));
    }
    return names;
  }

  private jsonTableColumns(columns: unknown[], scope: Scope, doc: Lineage): OutputLineage[] {
    const outputs: OutputLineage[] = [];
    for (const column of columns) {
      const [type, col] = unwrap(column) ?? ['Unknown', {}];
      if (type !== 'JsonTableColumn') {
        this.unclassified.add(type);
        continue;
      }
      const own = merge([
        this.expr(col.pathspec, scope),
        this.expr(col.on_empty, scope),
        this.expr(col.on_error, scope),
        doc,
      ]);
      if (col.coltype === 'JTC_NESTED') {
        outputs.push(...this.jsonTableColumns(asArray(col.columns), scope, own));
      } else if (typeof col.name === 'string') {
        outputs.push({ output: col.name, ...own });
      }
    }
    return outputs;
  }

  // ---- expressions --------------------------------------------------------------------------

  private exprs(nodes: unknown, scope: Scope): Lineage {
    return merge(asArray(nodes).map((n) => this.expr(n, scope)));
  }

  /** Walks one expression (or an empty slot) and returns where its value comes from. */
  expr(node: unknown, scope: Scope): Lineage {
    if (node === undefined || node === null) return NONE;
    if (Array.isArray(node)) return this.exprs(node, scope);
    if (typeof node !== 'object') return NONE;
    const wrapped = unwrap(node);
    if (wrapped === undefined) return this.genericFields(node as Record<string, unknown>, scope);
    const [type, body] = wrapped;
    if (LEAF_NODES.has(type)) return NONE;
    switch (type) {
      case 'ColumnRef':
        return this.columnRef(body, scope);
      case 'FuncCall':
        return this.funcCall(body, scope);
      case 'SubLink': {
        this.checkKeys(
          type,
          body,
          new Set(['xpr', 'subLinkType', 'subLinkId', 'testexpr', 'operName', 'subselect', 'location']),
        );
        const test = this.expr(body.testexpr, scope);
        const outputs = this.subquery(body.subselect, scope);
        const fromSub = body.subLinkType === 'EXISTS_SUBLINK' ? [] : outputs;
        return merge([test, ...fromSub]);
      }
      case 'SelectStmt':
        return merge(this.select(body, scope));
      default:
        if (GENERIC_NODES.has(type)) return this.genericFields(body, scope);
        this.unclassified.add(type);
        return { ...NONE, undetermined: true };
    }
  }

  private subquery(node: unknown, scope: Scope): OutputLineage[] {
    const [type, body] = unwrap(node) ?? ['Unknown', {}];
    if (type !== 'SelectStmt') {
      this.unclassified.add(type);
      return [];
    }
    return this.select(body, scope);
  }

  private genericFields(body: Record<string, unknown>, scope: Scope): Lineage {
    const parts: Lineage[] = [];
    for (const [key, value] of Object.entries(body)) {
      if (key === 'location' || value === null || typeof value !== 'object') continue;
      parts.push(this.expr(value, scope));
    }
    return merge(parts);
  }

  private funcCall(body: Record<string, unknown>, scope: Scope): Lineage {
    this.checkKeys(
      'FuncCall',
      body,
      new Set([
        'funcname',
        'args',
        'agg_order',
        'agg_filter',
        'over',
        'agg_within_group',
        'agg_star',
        'agg_distinct',
        'func_variadic',
        'funcformat',
        'location',
      ]),
    );
    const name = asArray(body.funcname).map(stringValue).join('.');
    this.functions.add(name);
    return merge([
      this.exprs(body.args, scope),
      this.exprs(body.agg_order, scope),
      this.expr(body.agg_filter, scope),
      this.expr(body.over, scope),
    ]);
  }

  private columnRef(body: Record<string, unknown>, scope: Scope): Lineage {
    const fields = asArray(body.fields);
    const last = fields[fields.length - 1];
    const names = fields.map(stringValue);
    if (last !== undefined && unwrap(last)?.[0] === 'A_Star') {
      // `t.*` inside an expression, e.g. row_to_json(t.*): every column flows in.
      return { ...merge(this.expandStar(names.slice(0, -1) as string[], scope)), derived: true };
    }
    if (names.some((n) => n === undefined)) {
      this.unclassified.add('ColumnRef');
      return { ...NONE, undetermined: true };
    }
    const parts = names as string[];
    if (parts.length === 1) return this.resolveUnqualified(parts[0]!, scope);
    const column = parts[parts.length - 1]!;
    const qualifier = parts.slice(0, -1);
    const item = findItem(scope, qualifier);
    if (item === undefined) {
      // `a.b` where `a` is not a FROM item: a field of composite column `a`.
      return { ...this.resolveUnqualified(parts[0]!, scope), derived: true };
    }
    const hit = lookupColumn(item, column, true);
    if (hit === undefined) {
      this.addUnattributed(column, []);
      return { ...NONE, undetermined: true };
    }
    for (const read of hit.reads) this.recordRead(read);
    return hit.lineage;
  }

  /** Resolves an unqualified column name the way PostgreSQL does, innermost scope first. */
  private resolveUnqualified(column: string, scope: Scope): Lineage {
    const hits: Hit[] = [];
    const wholeRows: FromItem[] = [];
    for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
      if (level === scope && scope.outputAliases?.has(column)) {
        const itemHits = level.items.map((i) => lookupColumn(i, column, false));
        if (!itemHits.some((h) => h?.certainty === 'definite')) return NONE;
      }
      const levelHits = level.items.map((i) => lookupColumn(i, column, false)).filter((h) => h !== undefined);
      hits.push(...levelHits);
      wholeRows.push(...level.items.filter((i) => i.name === column));
      // A column wins over a whole-row reference, and the innermost level with it wins.
      if (levelHits.some((h) => h.certainty === 'definite')) {
        wholeRows.length = 0;
        break;
      }
    }
    if (hits.length === 1 && wholeRows.length === 0) {
      const hit = hits[0]!;
      for (const read of hit.reads) this.recordRead(read);
      return hit.lineage;
    }
    const rows = wholeRows.map((item) => merge(this.expandStar(item, scope)));
    if (hits.length === 0 && wholeRows.length === 1) return { ...rows[0]!, derived: true };
    const all = merge([...hits.map((h) => h.lineage), ...rows]);
    this.addUnattributed(column, [
      ...hits.flatMap((h) => h.lineage.sources),
      ...rows.flatMap((r) => r.sources),
    ]);
    return { ...all, undetermined: true };
  }

  /** Expands `*` (qualifier empty), `t.*`, or one FROM item into output columns. */
  private expandStar(target: string[] | FromItem, scope: Scope): OutputLineage[] {
    let items: FromItem[];
    if (Array.isArray(target)) {
      if (target.length === 0) {
        items = scope.items;
      } else {
        const item = findItem(scope, target);
        if (item === undefined) {
          this.addUnattributed(`${target.join('.')}.*`, []);
          return [{ output: '*', sources: [], derived: true, undetermined: true }];
        }
        items = [item];
      }
    } else {
      items = [target];
    }
    return items.flatMap((item) => this.starOf(item));
  }

  private starOf(item: FromItem): OutputLineage[] {
    if (item.kind === 'join') return item.children.flatMap((c) => this.starOf(c));
    if (item.kind === 'derived') {
      if (item.outputs.length > 0) return item.outputs.map((o) => ({ ...o }));
      return [{ output: item.name ?? '?column?', ...(item.anyColumn ?? { ...NONE, undetermined: true }) }];
    }
    const relation = baseRelation(item);
    if (item.catalogColumns !== undefined) {
      return item.catalogColumns.map((column) => {
        this.recordRead({ relation, column });
        return { output: column, sources: [{ relation, column }], derived: false, undetermined: false };
      });
    }
    this.recordRead({ relation, column: '*' });
    return [
      { output: '*', sources: [{ relation, column: '*' }], derived: false, undetermined: false, star: true },
    ];
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  private recordRead(source: ColumnSource): void {
    const key = relationKey(source.relation);
    let entry = this.columns.get(key);
    if (entry === undefined) {
      entry = { relation: source.relation, columns: new Set(), star: false };
      this.columns.set(key, entry);
    }
    if (source.column === '*') entry.star = true;
    else entry.columns.add(source.column);
  }

  private addUnattributed(column: string, candidates: ColumnSource[]): void {
    const existing = this.unattributed.get(column);
    const merged = dedupeSources([...(existing?.candidates ?? []), ...candidates]);
    this.unattributed.set(column, { column, candidates: merged });
    for (const c of candidates) if (c.column === '*') this.recordRead(c);
  }

  private checkKeys(type: string, body: Record<string, unknown>, known: Set<string>): void {
    for (const [key, value] of Object.entries(body)) {
      if (value !== undefined && !known.has(key)) this.unclassified.add(`${type}.${key}`);
    }
  }
}

// ---- helpers ------------------------------------------------------------------------------------

/**
 * Looks a column up in one FROM item. `qualified` is true for `item.column`: only then may a
 * function scan's unknown (composite) columns match, since unqualified they would shadow others.
 */
function lookupColumn(item: FromItem, column: string, qualified: boolean): Hit | undefined {
  if (item.kind === 'join') {
    const hits = item.children.map((c) => lookupColumn(c, column, false)).filter((h) => h !== undefined);
    if (hits.length === 0) return undefined;
    if (hits.length === 1) return hits[0];
    return {
      certainty: 'maybe',
      lineage: { ...merge(hits.map((h) => h.lineage)), undetermined: true },
      reads: [],
    };
  }
  if (item.kind === 'base') {
    const relation = baseRelation(item);
    const aliasIndex = item.columnAliases?.indexOf(column) ?? -1;
    if (aliasIndex >= 0) {
      const original = item.catalogColumns?.[aliasIndex];
      const source = { relation, column: original ?? '*' };
      return {
        certainty: 'definite',
        lineage: { sources: [source], derived: false, undetermined: original === undefined },
        reads: [source],
      };
    }
    if (item.catalogColumns !== undefined && !item.catalogColumns.includes(column)) return undefined;
    const source = { relation, column };
    return {
      certainty: item.catalogColumns === undefined ? 'maybe' : 'definite',
      lineage: { sources: [source], derived: false, undetermined: false },
      reads: [source],
    };
  }
  const named = item.outputs.find((o) => !o.star && o.output === column);
  if (named !== undefined) {
    const { sources, derived, undetermined } = named;
    return { certainty: 'definite', lineage: { sources, derived, undetermined }, reads: [] };
  }
  const stars = item.outputs.filter((o) => o.star === true);
  if (stars.length > 0) {
    const sources = stars.flatMap((s) => s.sources.map((src) => ({ relation: src.relation, column })));
    return {
      certainty: 'maybe',
      lineage: { sources, derived: false, undetermined: stars.length > 1 },
      reads: stars.length === 1 ? sources : [],
    };
  }
  if (qualified && item.anyColumn !== undefined) {
    return { certainty: 'definite', lineage: item.anyColumn, reads: [] };
  }
  return undefined;
}

function baseRelation(item: FromItem): RelationRef {
  return item.relation ?? { name: item.name ?? '?' };
}

/** Finds the FROM item a qualifier names (`t`, `s.t`, `c.s.t`), innermost scope first. */
function findItem(scope: Scope, qualifier: string[]): FromItem | undefined {
  const name = qualifier[qualifier.length - 1];
  const schema = qualifier.length > 1 ? qualifier[qualifier.length - 2] : undefined;
  for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
    const found = level.items.find(
      (i) =>
        i.name === name && (schema === undefined || (i.aliased !== true && i.relation?.schema === schema)),
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

function findCte(scope: Scope, name: string): OutputLineage[] | undefined {
  for (let level: Scope | undefined = scope; level !== undefined; level = level.parent) {
    const cte = level.ctes.get(name);
    if (cte !== undefined) return cte;
  }
  return undefined;
}

/** A scope for a non-LATERAL subquery in FROM: sees CTEs and outer levels, not its siblings. */
function ctesOnly(scope: Scope): Scope {
  return { items: [], ctes: scope.ctes, parent: scope.parent };
}

function derivedItem(aliasNode: unknown, outputs: OutputLineage[], any: Lineage): FromItem {
  const alias = asRecord(aliasNode);
  return {
    name: optionalString(alias.aliasname),
    kind: 'derived',
    outputs: renameOutputs(outputs, alias.colnames),
    anyColumn: any,
    children: [],
  };
}

function placeholderOutputs(cte: Record<string, unknown>): OutputLineage[] {
  return asArray(cte.aliascolnames)
    .map(stringValue)
    .filter((n): n is string => n !== undefined)
    .map((output) => ({ output, sources: [], derived: true, undetermined: true }));
}

function renameOutputs(outputs: OutputLineage[], colnames: unknown): OutputLineage[] {
  const names = asArray(colnames).map(stringValue);
  if (names.length === 0) return outputs;
  return outputs.map((o, i) => {
    const name = names[i];
    // A rename cannot be applied to an unexpanded `*`: its columns are unknown.
    if (o.star === true) return { ...o, undetermined: true };
    return name === undefined ? o : { ...o, output: name };
  });
}

function combineSetOperation(left: OutputLineage[], right: OutputLineage[]): OutputLineage[] {
  const starred = [...left, ...right].some((o) => o.star === true);
  if (starred || left.length !== right.length) {
    const all = merge([...left, ...right]);
    return left.map((o) => ({ output: o.output, sources: all.sources, derived: true, undetermined: true }));
  }
  return left.map((l, i) => {
    const r = right[i]!;
    return {
      output: l.output,
      sources: dedupeSources([...l.sources, ...r.sources]),
      derived: l.derived || r.derived,
      undetermined: l.undetermined || r.undetermined,
    };
  });
}

/** Combines the lineage of the parts of an expression: the result is derived. */
function merge(parts: Lineage[]): Lineage {
  return {
    sources: dedupeSources(parts.flatMap((p) => p.sources)),
    derived: true,
    undetermined: parts.some((p) => p.undetermined),
  };
}

function dedupeSources(sources: ColumnSource[]): ColumnSource[] {
  const seen = new Map<string, ColumnSource>();
  for (const s of sources) seen.set(`${relationKey(s.relation)}|${s.column}`, s);
  return [...seen.values()];
}

/** The qualifier of a `*` or `t.*` target, or undefined when the target is not a star. */
function starTarget(val: unknown): string[] | undefined {
  const [type, body] = unwrap(val) ?? ['', {}];
  if (type !== 'ColumnRef') return undefined;
  const fields = asArray(body.fields);
  const last = fields[fields.length - 1];
  if (last === undefined || unwrap(last)?.[0] !== 'A_Star') return undefined;
  const qualifier = fields.slice(0, -1).map(stringValue);
  return qualifier.every((q) => q !== undefined) ? (qualifier as string[]) : undefined;
}

/** The column name PostgreSQL gives an unaliased output expression. */
function outputName(val: unknown): string {
  const [type, body] = unwrap(val) ?? ['', {}];
  switch (type) {
    case 'ColumnRef': {
      const names = asArray(body.fields).map(stringValue);
      return names[names.length - 1] ?? '?column?';
    }
    case 'FuncCall': {
      const names = asArray(body.funcname).map(stringValue);
      return names[names.length - 1] ?? '?column?';
    }
    case 'TypeCast': {
      const inner = outputName(body.arg);
      if (inner !== '?column?') return inner;
      const names = asArray(asRecord(body.typeName).names).map(stringValue);
      return names[names.length - 1] ?? '?column?';
    }
    case 'A_Indirection': {
      const names = asArray(body.indirection).map(stringValue);
      return names[names.length - 1] ?? outputName(body.arg);
    }
    case 'CaseExpr':
      return 'case';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return body.op === 'IS_LEAST' ? 'least' : 'greatest';
    case 'A_ArrayExpr':
      return 'array';
    case 'RowExpr':
      return 'row';
    case 'SubLink':
      if (body.subLinkType === 'EXISTS_SUBLINK') return 'exists';
      if (body.subLinkType === 'ARRAY_SUBLINK') return 'array';
      return '?column?';
    default:
      return '?column?';
  }
}

/** `{ Type: body }` → `[Type, body]`; undefined for anything else (including `{}`). */
export function unwrap(node: unknown): [string, Record<string, unknown>] | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const type = keys[0]!;
  if (!/^[A-Z]/.test(type)) return undefined;
  const body = (node as Record<string, unknown>)[type];
  return [type, body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}];
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringValue(node: unknown): string | undefined {
  const wrapped = unwrap(node);
  if (wrapped?.[0] !== 'String') return undefined;
  return optionalString(wrapped[1].sval);
}
