import { SluiceError } from '../core/errors.js';

/** A parse tree as plain JSON (libpg-query's protobuf-JSON form). */
export interface PgTree {
  version?: number;
  stmts?: { stmt?: Record<string, unknown> }[];
}

export type PgNode = Record<string, unknown>;

/** Parses SQL with the PostgreSQL 17 parser; a syntax error throws `QUERY_INVALID`. */
export async function parsePg(sql: string, what: string): Promise<PgTree> {
  // Loaded lazily: the module compiles a WebAssembly parser when first imported.
  const { parse } = await import('@libpg-query/parser');
  try {
    return (await parse(sql)) as PgTree;
  } catch (cause) {
    const detail = (cause as { sqlDetails?: { message?: string } }).sqlDetails?.message;
    throw new SluiceError(
      'QUERY_INVALID',
      `${what} does not parse${detail ? `: ${detail}` : ''}. Fix it and try again.`,
      {
        cause,
        context: { what },
      },
    );
  }
}

export async function deparsePg(tree: PgTree): Promise<string> {
  const { deparse } = await import('@libpg-query/parser');
  return deparse(tree as Parameters<typeof deparse>[0]);
}

/** The body of the only statement when it is a SELECT, else undefined. */
export function singleSelect(tree: PgTree): PgNode | undefined {
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) return undefined;
  const wrapped = unwrap(stmts[0]?.stmt);
  return wrapped?.[0] === 'SelectStmt' ? wrapped[1] : undefined;
}

/** `{ Type: body }` → `[Type, body]`; undefined for anything else. */
export function unwrap(node: unknown): [string, PgNode] | undefined {
  if (!isRecord(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  if (!/^[A-Z]/.test(type)) return undefined;
  const body = node[type];
  return [type, isRecord(body) ? body : {}];
}

export function isRecord(value: unknown): value is PgNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function stringNode(sval: string): PgNode {
  return { String: { sval } };
}

/** An integer constant; values beyond int4 use the numeric form, as the parser does. */
export function intConst(n: number): PgNode {
  return n <= 2_147_483_647 ? { A_Const: { ival: { ival: n } } } : { A_Const: { fval: { fval: String(n) } } };
}

/** `SELECT * FROM <from> [WHERE <where>]` as a SelectStmt node. */
export function selectStar(from: PgNode, where?: PgNode): PgNode {
  const body: PgNode = {
    targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
    fromClause: [from],
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (where !== undefined) body.whereClause = where;
  return { SelectStmt: body };
}
