import type { Data, RecordBatch, Schema } from 'apache-arrow';
import { SluiceError } from '../core/errors.js';
import { isRecord, type PgNode, parsePg, unwrap } from '../policy/pg-ast.js';
import { didYouMean } from '../transforms/did-you-mean.js';
import {
  type BoolVector,
  columnVector,
  compareTexts,
  constantVector,
  likeRegExp,
  mapText,
  type NumVector,
  type TextVector,
  textAt,
  textLength,
  type WhereVector,
  whereType,
} from './where-vectors.js';

type Kind = 'num' | 'bool' | 'text' | 'null';

/** One compiled node: its static type and how to compute it over a batch. */
interface Node {
  kind: Kind;
  run(batch: RecordBatch): WhereVector;
  /** Set for a literal: its value (null for NULL). */
  constant?: { value: unknown };
}

/** A compiled `where`: the rows of a batch it keeps, as one byte per row. */
export interface WherePredicate {
  /** The output columns the expression reads. */
  columns: string[];
  keep(batch: RecordBatch): Uint8Array;
}

const PREFIX = 'SELECT 1 WHERE ';
const COMPARE = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const FUNCTIONS = ['length', 'char_length', 'lower', 'upper', 'trim', 'abs', 'coalesce'];

function fail(message: string, location: unknown): never {
  const at =
    typeof location === 'number' && location >= PREFIX.length ? location - PREFIX.length + 1 : undefined;
  throw new SluiceError(
    'CONFIG_INVALID',
    `\`where\`${at === undefined ? '' : ` (at character ${at})`}: ${message}`,
    { context: { ...(at === undefined ? {} : { character: at }) } },
  );
}

/**
 * Compiles a `where` filter over the output's (masked) columns. Only column references, literals,
 * comparisons, AND/OR/NOT, IS [NOT] NULL, IN, BETWEEN, [I]LIKE, arithmetic and a few pure functions
 * are accepted; the expression is evaluated here on Arrow vectors and never runs as SQL. Anything
 * else throws CONFIG_INVALID naming the construct and its position.
 */
export async function compileWhere(expression: string, schema: Schema): Promise<WherePredicate> {
  let tree: Awaited<ReturnType<typeof parsePg>>;
  try {
    tree = await parsePg(`${PREFIX}${expression}`, '`where`');
  } catch (err) {
    throw new SluiceError('CONFIG_INVALID', (err as Error).message, { cause: err });
  }
  const stmts = tree.stmts ?? [];
  const select = stmts.length === 1 ? unwrap(stmts[0]?.stmt) : undefined;
  const body = select?.[0] === 'SelectStmt' ? select[1] : undefined;
  const extra = body
    ? Object.keys(body).filter((k) => !['targetList', 'whereClause', 'limitOption', 'op'].includes(k))
    : [];
  if (body?.op !== 'SETOP_NONE' || extra.length > 0 || body.whereClause === undefined)
    fail('must be one condition, not a statement or clause (no `;`, ORDER BY, LIMIT, UNION, …).', undefined);
  const fields = new Map(schema.fields.map((f, i) => [f.name, { field: f, index: i }]));
  const used = new Set<string>();
  const root = compile(body.whereClause, fields, used);
  if (root.kind !== 'bool' && root.kind !== 'null')
    fail(`must be a condition (true/false), not a ${root.kind} value.`, locationOf(body.whereClause));
  return {
    columns: [...used],
    keep(batch) {
      const out = new Uint8Array(batch.numRows);
      if (root.kind === 'null') return out;
      const v = root.run(batch) as BoolVector;
      for (let i = 0; i < out.length; i++) out[i] = v.values[i]! & v.ok[i]!;
      return out;
    },
  };
}

function suggestion(name: string, names: string[]): string {
  const best = didYouMean(name, names);
  return best === undefined ? '' : ` Did you mean \`${best}\`?`;
}

type Fields = Map<string, { field: Schema['fields'][number]; index: number }>;

function locationOf(node: unknown): unknown {
  const u = unwrap(node);
  return u?.[1].location;
}

function compile(raw: unknown, fields: Fields, used: Set<string>): Node {
  const node = unwrap(raw);
  if (!node) fail('unsupported expression.', undefined);
  const [type, n] = node;
  const loc = n.location;
  switch (type) {
    case 'A_Const':
      return literal(n);
    case 'ColumnRef': {
      const parts = (n.fields as unknown[]) ?? [];
      const name = unwrap(parts[0])?.[1].sval;
      if (parts.length !== 1 || typeof name !== 'string')
        fail('a column is named by itself (no table prefix, no `*`).', loc);
      const f = fields.get(name);
      if (!f)
        fail(
          `unknown column \`${name}\`.${suggestion(name, [...fields.keys()])} Columns of this output: ${[...fields.keys()].map((c) => `\`${c}\``).join(', ')}.`,
          loc,
        );
      const kind = whereType(f.field.type);
      if (!kind)
        fail(
          `column \`${name}\` has type ${f.field.type}, which \`where\` cannot compare (numbers, text and booleans only).`,
          loc,
        );
      used.add(name);
      const index = f.index;
      // `IN` lists and `BETWEEN` read a column several times per batch: read it once.
      let last: { batch: RecordBatch; vector: WhereVector } | undefined;
      return {
        kind,
        run(b) {
          if (last?.batch !== b)
            last = { batch: b, vector: columnVector((b.data.children as Data[])[index] as Data) };
          return last.vector;
        },
      };
    }
    case 'BoolExpr':
      return boolExpr(n, fields, used);
    case 'NullTest': {
      const arg = compile(n.arg, fields, used);
      const isNull = n.nulltesttype === 'IS_NULL';
      return {
        kind: 'bool',
        run(b) {
          const ok = arg.run(b).ok;
          const values = new Uint8Array(ok.length);
          for (let i = 0; i < ok.length; i++) values[i] = isNull ? 1 - ok[i]! : ok[i]!;
          return { kind: 'bool', values, ok: new Uint8Array(ok.length).fill(1) };
        },
      };
    }
    case 'A_Expr':
      return aExpr(n, fields, used);
    case 'FuncCall':
      return funcCall(n, fields, used);
    case 'CoalesceExpr':
      return funcCall({ ...n, funcname: [{ String: { sval: 'coalesce' } }] }, fields, used);
    case 'SubLink':
      return fail('subqueries are not allowed.', loc);
    case 'TypeCast':
      return fail('type casts (`::`, CAST) are not allowed.', loc);
    default:
      return fail(`\`${type}\` expressions are not allowed.`, loc ?? undefined);
  }
}

function literal(n: PgNode): Node {
  if (n.isnull === true)
    return { kind: 'null', constant: { value: null }, run: (b) => nullVector(b.numRows) };
  let kind: Kind;
  let value: unknown;
  let exact: bigint | undefined;
  if (isRecord(n.ival)) {
    [kind, value] = ['num', Number(n.ival.ival ?? 0)];
    exact = BigInt(Number(n.ival.ival ?? 0));
  } else if (isRecord(n.fval)) {
    const text = String(n.fval.fval);
    [kind, value] = ['num', Number(text)];
    // Integer literals too long for int4 arrive as `fval`; keep them exact when they fit 64 bits.
    if (/^-?\d+$/.test(text)) {
      const big = BigInt(text);
      if (big >= -(2n ** 63n) && big < 2n ** 64n) exact = big;
    }
  } else if (isRecord(n.sval)) [kind, value] = ['text', String(n.sval.sval ?? '')];
  else if (isRecord(n.boolval)) [kind, value] = ['bool', n.boolval.boolval === true];
  else
    return fail(
      'unsupported literal (numbers, text in single quotes, true/false and NULL only).',
      n.location,
    );
  return {
    kind,
    constant: { value },
    run: (b) => constantVector(kind as 'num' | 'bool' | 'text', value, b.numRows, exact),
  };
}

function nullVector(n: number): NumVector {
  return { kind: 'num', values: new Float64Array(n), ok: new Uint8Array(n) };
}

function boolExpr(n: PgNode, fields: Fields, used: Set<string>): Node {
  const args = ((n.args as unknown[]) ?? []).map((a) => {
    const c = compile(a, fields, used);
    if (c.kind !== 'bool' && c.kind !== 'null')
      fail(
        `${String(n.boolop).replace('_EXPR', '')} takes conditions, not a ${c.kind} value.`,
        locationOf(a),
      );
    return c;
  });
  const op = n.boolop as 'AND_EXPR' | 'OR_EXPR' | 'NOT_EXPR';
  return {
    kind: 'bool',
    run: (b) =>
      logical(
        op,
        args.map((a) => a.run(b)),
        b.numRows,
      ),
  };
}

function opName(n: PgNode): string {
  const names = (n.name as unknown[]) ?? [];
  return String(unwrap(names[names.length - 1])?.[1].sval ?? '');
}

function aExpr(n: PgNode, fields: Fields, used: Set<string>): Node {
  const loc = n.location;
  const kind = n.kind as string;
  const op = opName(n);
  switch (kind) {
    case 'AEXPR_OP': {
      if (n.lexpr === undefined) {
        if (op !== '-' && op !== '+') fail(`prefix operator \`${op}\` is not allowed.`, loc);
        const arg = compile(n.rexpr, fields, used);
        expectKind(arg, 'num', `\`${op}\``, loc);
        if (op === '+') return arg;
        return numeric(arg, (x) => -x);
      }
      const left = compile(n.lexpr, fields, used);
      const right = compile(n.rexpr, fields, used);
      if (COMPARE.has(op)) return comparison(op, left, right, loc);
      if (ARITHMETIC.has(op)) {
        expectKind(left, 'num', `\`${op}\``, loc);
        expectKind(right, 'num', `\`${op}\``, loc);
        return arithmetic(op, left, right);
      }
      return fail(`operator \`${op}\` is not allowed.`, loc);
    }
    case 'AEXPR_IN': {
      const left = compile(n.lexpr, fields, used);
      const items = unwrap(n.rexpr);
      if (items?.[0] !== 'List') fail('IN takes a list of values, not a subquery.', loc);
      const parts = ((items[1].items as unknown[]) ?? []).map((i) =>
        comparison('=', left, compile(i, fields, used), loc),
      );
      const any = combine('OR_EXPR', parts);
      return op === '=' ? any : negate(any);
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN': {
      const left = compile(n.lexpr, fields, used);
      const bounds = unwrap(n.rexpr);
      const [lo, hi] = ((bounds?.[1].items as unknown[]) ?? []).map((i) => compile(i, fields, used));
      const both = combine('AND_EXPR', [
        comparison('>=', left, lo as Node, loc),
        comparison('<=', left, hi as Node, loc),
      ]);
      return kind === 'AEXPR_BETWEEN' ? both : negate(both);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const left = compile(n.lexpr, fields, used);
      expectKind(left, 'text', kind === 'AEXPR_LIKE' ? 'LIKE' : 'ILIKE', loc);
      const pattern = compile(n.rexpr, fields, used);
      if (pattern.constant === undefined || pattern.kind !== 'text')
        fail(
          'the pattern of LIKE/ILIKE must be one text literal (no ESCAPE clause).',
          locationOf(n.rexpr) ?? loc,
        );
      const re = likeRegExp(String(pattern.constant.value), kind === 'AEXPR_ILIKE');
      const negated = op.startsWith('!');
      return {
        kind: 'bool',
        run(b) {
          const t = left.run(b) as TextVector;
          const values = new Uint8Array(t.length);
          for (let i = 0; i < t.length; i++)
            if (t.ok[i]) values[i] = re.test(textAt(t, i)) !== negated ? 1 : 0;
          return { kind: 'bool', values, ok: t.ok.slice() };
        },
      };
    }
    default:
      return fail(`\`${kind.replace('AEXPR_', '')}\` expressions are not allowed.`, loc);
  }
}

function expectKind(node: Node, kind: Kind, what: string, loc: unknown): void {
  if (node.kind !== kind && node.kind !== 'null')
    fail(`${what} takes ${kind === 'num' ? 'numbers' : kind}, not ${node.kind}.`, loc);
}

function combine(op: 'AND_EXPR' | 'OR_EXPR', parts: Node[]): Node {
  return {
    kind: 'bool',
    run: (b) =>
      logical(
        op,
        parts.map((p) => p.run(b)),
        b.numRows,
      ),
  };
}

function negate(node: Node): Node {
  return { kind: 'bool', run: (b) => logical('NOT_EXPR', [node.run(b)], b.numRows) };
}

/** AND/OR/NOT over computed vectors with SQL's three-valued logic. */
function logical(op: 'AND_EXPR' | 'OR_EXPR' | 'NOT_EXPR', vs: WhereVector[], rows: number): BoolVector {
  // SQL three-valued logic: AND is false when any side is false, else null when any is null.
  if (op === 'NOT_EXPR') {
    const v = vs[0] as BoolVector;
    const values = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) values[i] = 1 - (v.values?.[i] ?? 0);
    return { kind: 'bool', values, ok: v.ok.slice() };
  }
  const and = op === 'AND_EXPR';
  const values = new Uint8Array(rows).fill(and ? 1 : 0);
  const ok = new Uint8Array(rows).fill(1);
  const decided = new Uint8Array(rows);
  for (const v of vs) {
    const bits = (v as BoolVector).values;
    for (let i = 0; i < rows; i++) {
      if (decided[i]) continue;
      if (!v.ok[i]) ok[i] = 0;
      else if ((bits?.[i] ?? 0) === (and ? 0 : 1)) {
        decided[i] = 1;
        values[i] = and ? 0 : 1;
        ok[i] = 1;
      }
    }
  }
  return { kind: 'bool', values, ok };
}

function comparison(op: string, left: Node, right: Node, loc: unknown): Node {
  if (left.kind === 'null' || right.kind === 'null')
    return {
      kind: 'bool',
      run: (b) => ({ kind: 'bool', values: new Uint8Array(b.numRows), ok: new Uint8Array(b.numRows) }),
    };
  if (left.kind !== right.kind) fail(`cannot compare ${left.kind} with ${right.kind} using \`${op}\`.`, loc);
  if (left.kind === 'bool' && op !== '=' && op !== '<>' && op !== '!=')
    fail(`booleans compare with \`=\` and \`<>\` only, not \`${op}\`.`, loc);
  const test = (d: number) =>
    op === '='
      ? d === 0
      : op === '<>' || op === '!='
        ? d !== 0
        : op === '<'
          ? d < 0
          : op === '<='
            ? d <= 0
            : op === '>'
              ? d > 0
              : d >= 0;
  const flip = left.constant !== undefined && right.constant === undefined;
  return {
    kind: 'bool',
    run(b) {
      const rows = b.numRows;
      const values = new Uint8Array(rows);
      const ok = new Uint8Array(rows);
      if (left.kind === 'text') {
        // Put the literal on the right so the column side is compared as bytes.
        const [a, c, sign] = flip ? [right, left, -1] : [left, right, 1];
        const x = a.run(b) as TextVector;
        const y = c.run(b) as TextVector;
        const d = compareTexts(x, y, c.constant === undefined ? undefined : String(c.constant.value));
        for (let i = 0; i < rows; i++) {
          ok[i] = x.ok[i]! & y.ok[i]!;
          if (ok[i]) values[i] = test(sign * d[i]!) ? 1 : 0;
        }
        return { kind: 'bool', values, ok };
      }
      const x = left.run(b) as NumVector | BoolVector;
      const y = right.run(b) as NumVector | BoolVector;
      const ex = x.kind === 'num' ? x.exact : undefined;
      const ey = y.kind === 'num' ? y.exact : undefined;
      if (ex && ey) {
        for (let i = 0; i < rows; i++) {
          ok[i] = x.ok[i]! & y.ok[i]!;
          if (ok[i]) {
            const p = ex[i]!;
            const q = ey[i]!;
            values[i] = test(p < q ? -1 : p > q ? 1 : 0) ? 1 : 0;
          }
        }
        return { kind: 'bool', values, ok };
      }
      for (let i = 0; i < rows; i++) {
        ok[i] = x.ok[i]! & y.ok[i]!;
        if (ok[i]) {
          const p = x.values[i]!;
          const q = y.values[i]!;
          values[i] = test(p < q ? -1 : p > q ? 1 : p === q ? 0 : Number.NaN) ? 1 : 0;
        }
      }
      return { kind: 'bool', values, ok };
    },
  };
}

function numeric(arg: Node, f: (x: number) => number): Node {
  return {
    kind: 'num',
    run(b) {
      const v = arg.run(b) as NumVector;
      const values = new Float64Array(v.values.length);
      for (let i = 0; i < values.length; i++) values[i] = f(v.values[i]!);
      return { kind: 'num', values, ok: v.ok.slice() };
    },
  };
}

function arithmetic(op: string, left: Node, right: Node): Node {
  if (left.kind === 'null' || right.kind === 'null')
    return { kind: 'null', run: (b) => nullVector(b.numRows) };
  return {
    kind: 'num',
    run(b) {
      const x = left.run(b) as NumVector;
      const y = right.run(b) as NumVector;
      const rows = b.numRows;
      const values = new Float64Array(rows);
      const ok = new Uint8Array(rows);
      for (let i = 0; i < rows; i++) {
        if (!(x.ok[i]! & y.ok[i]!)) continue;
        const p = x.values[i]!;
        const q = y.values[i]!;
        // Division or modulo by zero is NULL here (PostgreSQL raises an error), so the row is not kept.
        if ((op === '/' || op === '%') && q === 0) continue;
        ok[i] = 1;
        values[i] = op === '+' ? p + q : op === '-' ? p - q : op === '*' ? p * q : op === '/' ? p / q : p % q;
      }
      return { kind: 'num', values, ok };
    },
  };
}

function funcCall(n: PgNode, fields: Fields, used: Set<string>): Node {
  const loc = n.location;
  const names = ((n.funcname as unknown[]) ?? []).map((p) => String(unwrap(p)?.[1].sval ?? ''));
  // `trim(x)` parses as `pg_catalog.btrim(x)`.
  const name =
    names.length === 1
      ? (names[0] as string).toLowerCase()
      : names.join('.') === 'pg_catalog.btrim'
        ? 'trim'
        : names.join('.');
  if (!FUNCTIONS.includes(name))
    fail(
      `function \`${name}\` is not allowed. Allowed: ${FUNCTIONS.map((f) => `\`${f}\``).join(', ')}.`,
      loc,
    );
  if (n.agg_star || n.agg_distinct || n.over || n.agg_filter || n.agg_order || n.func_variadic)
    fail(`\`${name}\` takes plain arguments (no DISTINCT, FILTER, OVER, ORDER BY, VARIADIC).`, loc);
  const args = ((n.args as unknown[]) ?? []).map((a) => compile(a, fields, used));
  if (name === 'coalesce') {
    const kinds = new Set(args.map((a) => a.kind).filter((k) => k !== 'null'));
    if (args.length === 0 || kinds.size > 1)
      fail('`coalesce` takes one or more values of the same type.', loc);
    const kind = ([...kinds][0] ?? 'null') as Kind;
    if (kind === 'null') return { kind: 'null', run: (b) => nullVector(b.numRows) };
    return {
      kind,
      run: (b) =>
        coalesce(
          args.filter((a) => a.kind !== 'null').map((a) => a.run(b)),
          b.numRows,
        ),
    };
  }
  if (args.length !== 1) fail(`\`${name}\` takes one argument.`, loc);
  const arg = args[0] as Node;
  if (name === 'abs') {
    expectKind(arg, 'num', '`abs`', loc);
    return numeric(arg, Math.abs);
  }
  expectKind(arg, 'text', `\`${name}\``, loc);
  if (arg.kind === 'null')
    return {
      kind: name === 'length' || name === 'char_length' ? 'num' : 'text',
      run: (b) =>
        constantVector(name === 'length' || name === 'char_length' ? 'num' : 'text', null, b.numRows),
    };
  if (name === 'length' || name === 'char_length')
    return { kind: 'num', run: (b) => textLength(arg.run(b) as TextVector) };
  const f =
    name === 'lower'
      ? (s: string) => s.toLowerCase()
      : name === 'upper'
        ? (s: string) => s.toUpperCase()
        : (s: string) => s.replace(/^ +| +$/g, '');
  return { kind: 'text', run: (b) => mapText(arg.run(b) as TextVector, f) };
}

/** The first non-null value per row. */
function coalesce(vs: WhereVector[], rows: number): WhereVector {
  const first = vs[0] as WhereVector;
  const ok = new Uint8Array(rows);
  const pick = new Int32Array(rows).fill(-1);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < vs.length; k++) {
      if ((vs[k] as WhereVector).ok[i]) {
        pick[i] = k;
        ok[i] = 1;
        break;
      }
    }
  }
  if (first.kind === 'text') {
    const strings: (string | undefined)[] = new Array(rows);
    for (let i = 0; i < rows; i++) if (ok[i]) strings[i] = textAt(vs[pick[i]!] as TextVector, i);
    return { kind: 'text', length: rows, ok, strings };
  }
  const values = first.kind === 'num' ? new Float64Array(rows) : new Uint8Array(rows);
  for (let i = 0; i < rows; i++) if (ok[i]) values[i] = (vs[pick[i]!] as NumVector | BoolVector).values[i]!;
  return first.kind === 'num'
    ? { kind: 'num', values: values as Float64Array, ok }
    : { kind: 'bool', values: values as Uint8Array, ok };
}
