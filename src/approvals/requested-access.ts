import { canonicalHash } from '../evidence/canonical-json.js';

/** A mask asked for on one output column: its type, parameters and key id (never key material). */
export interface RequestedAccessMask {
  column: string;
  mask: string;
  key_id?: string;
  /** Mask parameters as configured (lengths, formats); JSON values only. */
  params: Record<string, unknown>;
}

/** A write of a pipeline output into a table: what a write approval binds besides the common fields. */
export interface RequestedWrite {
  /** The target, `schema.table`. */
  table: string;
  mode: string;
  /** The columns the output writes, in order. */
  columns: { name: string; type: string; nullable: boolean }[];
}

/**
 * Exactly what an approval is for. Every field is a name, a number or a hash; an approval is
 * valid only for an access whose {@link requestKey} is equal, so any change needs a new one.
 */
export interface RequestedAccess {
  source: string;
  connection: string;
  purpose: string;
  /** Schema-qualified relations the query reads. */
  relations: string[];
  /** Columns read, as `schema.table.column`. */
  columns: string[];
  masks: RequestedAccessMask[];
  /** The policy's row limit (the row budget); absent when unlimited. */
  row_limit?: number;
  /** libpg-query fingerprint: the statement's shape, literals ignored. */
  query_fingerprint: string;
  /** The guard's AST hash: the statement including its literal values. */
  query_ast_hash: string;
  /** SHA-256 of the pipeline file. */
  pipeline_sha256: string;
  /** Subject (and issuer) of the identity that asks. */
  requester: { subject: string; issuer: string };
  /**
   * Set for a write into a table: `source` is then the output's name, `relations` the target and
   * `query_fingerprint`/`query_ast_hash` the hash of the canonical JSON of this object.
   */
  write?: RequestedWrite;
}

/** SHA-256 of the canonical JSON of the access, with lists sorted so their order does not matter. */
export function requestKey(access: RequestedAccess): string {
  return canonicalHash({
    v: 1,
    ...access,
    relations: [...access.relations].sort(),
    columns: [...access.columns].sort(),
    masks: [...access.masks].sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0)),
  });
}

/** The libpg-query fingerprint of `sql` (loaded lazily: it compiles a WebAssembly parser). */
export async function queryFingerprint(sql: string): Promise<string> {
  const { fingerprint } = await import('@libpg-query/parser');
  return fingerprint(sql);
}
