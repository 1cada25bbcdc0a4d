import { SluiceError } from '../core/errors.js';
import { quoteIdent } from '../core/source-query.js';
import { isRecord, type PgNode, parsePg } from '../policy/pg-ast.js';

/** The alias of the source query inside the incremental wrapper. */
const ALIAS = 'incremental';

export interface IncrementalQuery {
  /** The wrapped query; with a watermark it holds `$1` (and `$2`) where the watermark goes. */
  sql: string;
  /** How many `$n` placeholders the text holds. */
  placeholders: number;
}

/**
 * Wraps a source query so that it returns the rows past the watermark, in watermark order:
 * `SELECT * FROM (<query>) AS incremental WHERE incremental.col > $1 ORDER BY incremental.col`.
 * The watermark is left as a placeholder: the guard and the policy decide on this text (stable from
 * run to run), and {@link bindWatermark} puts the typed literals in afterwards.
 */
export function incrementalQuery(
  query: string,
  column: string,
  tiebreaker: string | undefined,
  withWatermark: boolean,
): IncrementalQuery {
  const c = `${ALIAS}.${quoteIdent(column)}`;
  const k = tiebreaker === undefined ? undefined : `${ALIAS}.${quoteIdent(tiebreaker)}`;
  // The line break ends a trailing `-- comment` of the user's query before our wrapper resumes.
  const from = `SELECT * FROM (\n${query}\n) AS ${ALIAS}`;
  const order = k === undefined ? `ORDER BY ${c}` : `ORDER BY ${c}, ${k}`;
  if (!withWatermark) {
    const notNull = k === undefined ? `${c} IS NOT NULL` : `${c} IS NOT NULL AND ${k} IS NOT NULL`;
    return { sql: `${from} WHERE ${notNull} ${order}`, placeholders: 0 };
  }
  if (k === undefined) return { sql: `${from} WHERE ${c} > $1 ${order}`, placeholders: 1 };
  return {
    sql: `${from} WHERE ${k} IS NOT NULL AND (${c} > $1 OR (${c} = $1 AND ${k} > $2)) ${order}`,
    placeholders: 3,
  };
}

/**
 * Replaces the `$n` placeholders of an authorized incremental query by `literals[n - 1]`, at the
 * positions the PostgreSQL parser reports (never inside a string or comment). Each literal must
 * parse as one constant, optionally cast, whose text is exactly the watermark value it encodes;
 * anything else stops the run.
 */
export async function bindWatermark(
  sql: string,
  literals: { literal: string; value: string }[],
  placeholders: number,
): Promise<string> {
  for (const l of literals) await checkLiteral(l.literal, l.value);
  const refs = paramRefs(await parsePg(sql, 'The incremental query'));
  if (refs.length !== placeholders || refs.some((r) => r.number < 1 || r.number > literals.length)) {
    throw new SluiceError(
      'QUERY_INVALID',
      'The source query of an incremental source holds parameter placeholders (`$1`) of its own. Write the values into the query.',
    );
  }
  let bytes = Buffer.from(sql, 'utf8');
  for (const ref of [...refs].sort((a, b) => b.location - a.location)) {
    const token = `$${ref.number}`;
    if (bytes.subarray(ref.location, ref.location + token.length).toString('utf8') !== token) {
      throw new SluiceError('INTERNAL', 'A watermark placeholder is not where the parser located it.');
    }
    const literal = Buffer.from((literals[ref.number - 1] as { literal: string }).literal, 'utf8');
    bytes = Buffer.concat([
      bytes.subarray(0, ref.location),
      literal,
      bytes.subarray(ref.location + token.length),
    ]);
  }
  const bound = bytes.toString('utf8');
  if (paramRefs(await parsePg(bound, 'The incremental query')).length > 0) {
    throw new SluiceError('INTERNAL', 'A watermark placeholder was left unbound.');
  }
  return bound;
}

const NOT_A_CONSTANT =
  'A watermark literal rendered by the connection is not a single constant holding the watermark value.';

async function checkLiteral(literal: string, value: string): Promise<void> {
  // The parser's message would quote the literal, a row value: report only that it is unusable.
  const tree = await parsePg(`SELECT ${literal}`, 'A watermark literal').catch(() => {
    throw new SluiceError('INTERNAL', NOT_A_CONSTANT);
  });
  const select =
    tree.stmts?.length === 1 ? (tree.stmts[0]?.stmt?.SelectStmt as PgNode | undefined) : undefined;
  const targets = (select?.targetList ?? []) as PgNode[];
  const node =
    targets.length === 1 ? ((targets[0]?.ResTarget as PgNode | undefined)?.val as PgNode) : undefined;
  const cast = node?.TypeCast as PgNode | undefined;
  const constant = ((cast ? (cast.arg as PgNode | undefined) : node)?.A_Const ?? undefined) as
    | PgNode
    | undefined;
  const text = (constant?.sval as { sval?: string } | undefined)?.sval ?? '';
  if (select?.fromClause !== undefined || constant === undefined || text !== value) {
    throw new SluiceError('INTERNAL', NOT_A_CONSTANT);
  }
}

function paramRefs(tree: unknown): { number: number; location: number }[] {
  const found: { number: number; location: number }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'ParamRef' && isRecord(child)) {
        found.push({ number: Number(child.number ?? 0), location: Number(child.location ?? -1) });
      } else walk(child);
    }
  };
  walk(tree);
  return found;
}
