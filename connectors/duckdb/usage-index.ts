import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SluiceError } from '../../src/core/errors.js';
import type {
  ColumnRead,
  ColumnUse,
  DatasetSearch,
  IndexedAuditRecord,
  IndexedManifest,
  IndexedOutput,
  IndexedRun,
  SubjectMatch,
  UsageStore,
} from '../../src/usage/index.js';
import { type DuckDBDatabase, type DuckDBSession, openDuckDB } from './driver.js';
import { quoteIdent, quoteLiteral } from './sql.js';

/** Bumped when the tables change; an index of another version is rebuilt by re-indexing. */
export const USAGE_INDEX_VERSION = '2';

const USAGE_INDEX_TABLES = ['runs', 'outputs', 'column_uses', 'column_reads', 'audit_records'];

/**
 * The usage index tables. Lists and mask parameters are JSON text. Nothing here can hold a row
 * value: names, digests, times, counts and mask parameters only.
 */
export const USAGE_INDEX_DDL = `
CREATE TABLE IF NOT EXISTS usage_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
  entry_id VARCHAR PRIMARY KEY, run_id VARCHAR, manifest_path VARCHAR, manifest_sha256 VARCHAR, dataset_digest VARCHAR,
  pipeline VARCHAR, status VARCHAR, started_at VARCHAR, finished_at VARCHAR,
  subject VARCHAR, issuer VARCHAR, method VARCHAR, identity_verified BOOLEAN,
  on_behalf_of VARCHAR, agent_id VARCHAR, agent_model VARCHAR, purpose VARCHAR,
  policy_sha256 VARCHAR, audit_head VARCHAR,
  verification VARCHAR, verification_problems VARCHAR, signature VARCHAR, indexed_at VARCHAR);
CREATE TABLE IF NOT EXISTS outputs (
  entry_id VARCHAR, run_id VARCHAR, output VARCHAR, format VARCHAR, path VARCHAR, files VARCHAR, digest VARCHAR, rows BIGINT);
CREATE TABLE IF NOT EXISTS column_uses (
  entry_id VARCHAR, run_id VARCHAR, output VARCHAR, output_column VARCHAR, source VARCHAR, source_column VARCHAR,
  source_type VARCHAR, connection VARCHAR, relation VARCHAR, upstream_column VARCHAR,
  derived BOOLEAN, lineage_complete BOOLEAN, mask VARCHAR, key_id VARCHAR, params VARCHAR,
  mask_index INTEGER, mask_count INTEGER);
CREATE TABLE IF NOT EXISTS column_reads (
  entry_id VARCHAR, run_id VARCHAR, source VARCHAR, connection VARCHAR, relation VARCHAR, column_name VARCHAR,
  star BOOLEAN);
CREATE TABLE IF NOT EXISTS audit_records (
  hash VARCHAR PRIMARY KEY, log VARCHAR, seq BIGINT, ts VARCHAR, kind VARCHAR, run_id VARCHAR,
  subject VARCHAR, on_behalf_of VARCHAR, agent_id VARCHAR, source VARCHAR, connection VARCHAR,
  relations VARCHAR, columns VARCHAR, outcome VARCHAR, purpose VARCHAR, masks VARCHAR);
`;

type Sql = string | number | boolean | null;

function lit(value: Sql): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return quoteLiteral(value);
}

function values(rows: Sql[][]): string {
  return rows.map((r) => `(${r.map(lit).join(', ')})`).join(',\n');
}

function inList(items: string[]): string {
  return items.length === 0 ? '(NULL)' : `(${items.map(quoteLiteral).join(', ')})`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown, fallback: T): T => {
  try {
    return typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
  } catch {
    return fallback;
  }
};

/**
 * Opens (creating it when absent) the usage index at `path`: an embedded DuckDB file.
 *
 * @example
 * const store = await openUsageIndex('.sluice/usage.duckdb');
 * try { await indexUsage(store, ['out/demo/manifest.json']); } finally { await store.close(); }
 */
export async function openUsageIndex(path: string): Promise<UsageStore> {
  await mkdir(dirname(path), { recursive: true });
  let db: DuckDBDatabase;
  try {
    db = await openDuckDB(path);
  } catch (cause) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `Usage index \`${path}\` cannot be opened (${cause instanceof Error ? cause.message.split('\n')[0] : 'error'}). If another \`pipeline usage\` is running, wait for it; if the file is not a usage index, pass another \`--index\`.`,
      { context: { file: path }, cause },
    );
  }
  const session = await db.connect();
  try {
    await session.run('CREATE TABLE IF NOT EXISTS usage_meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
    const version = await session.rows("SELECT value FROM usage_meta WHERE key = 'version'");
    if (version[0] !== undefined && version[0].value !== USAGE_INDEX_VERSION) {
      // The index is derived data: tables of another layout are dropped and filled again by re-indexing.
      for (const table of USAGE_INDEX_TABLES) await session.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
    }
    await session.run(USAGE_INDEX_DDL);
    await session.run(
      `INSERT OR REPLACE INTO usage_meta VALUES ('version', ${quoteLiteral(USAGE_INDEX_VERSION)})`,
    );
  } catch (cause) {
    session.close();
    db.close();
    throw cause;
  }
  return new DuckDBUsageStore(db, session);
}

class DuckDBUsageStore implements UsageStore {
  readonly #db: DuckDBDatabase;
  readonly #session: DuckDBSession;

  constructor(db: DuckDBDatabase, session: DuckDBSession) {
    this.#db = db;
    this.#session = session;
  }

  async entry(entryId: string): Promise<IndexedRun | undefined> {
    const rows = await this.#session.rows(`SELECT * FROM runs WHERE entry_id = ${quoteLiteral(entryId)}`);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async replaceManifest(entry: IndexedManifest): Promise<void> {
    const id = quoteLiteral(entry.run.entry_id);
    const r = entry.run;
    const statements = [
      'BEGIN TRANSACTION',
      ...['runs', 'outputs', 'column_uses', 'column_reads'].map(
        (t) => `DELETE FROM ${t} WHERE entry_id = ${id}`,
      ),
      `INSERT INTO runs VALUES ${values([
        [
          r.entry_id,
          r.run_id,
          r.manifest_path,
          r.manifest_sha256,
          r.dataset_digest,
          r.pipeline,
          r.status,
          r.started_at,
          r.finished_at,
          r.subject,
          r.issuer,
          r.method,
          r.identity_verified,
          r.on_behalf_of,
          r.agent_id,
          r.agent_model,
          r.purpose,
          r.policy_sha256,
          r.audit_head,
          r.verification,
          JSON.stringify(r.verification_problems),
          r.signature,
          r.indexed_at,
        ],
      ])}`,
    ];
    if (entry.outputs.length > 0) {
      statements.push(
        `INSERT INTO outputs VALUES ${values(
          entry.outputs.map((o) => [
            o.entry_id,
            o.run_id,
            o.output,
            o.format,
            o.path,
            JSON.stringify(o.files),
            o.digest,
            o.rows,
          ]),
        )}`,
      );
    }
    if (entry.uses.length > 0) {
      statements.push(
        `INSERT INTO column_uses VALUES ${values(
          entry.uses.map((u) => [
            u.entry_id,
            u.run_id,
            u.output,
            u.output_column,
            u.source,
            u.source_column,
            u.source_type,
            u.connection,
            u.relation,
            u.upstream_column,
            u.derived,
            u.lineage_complete,
            u.mask,
            u.key_id,
            JSON.stringify(u.params),
            u.mask_index,
            u.mask_count,
          ]),
        )}`,
      );
    }
    if (entry.reads.length > 0) {
      statements.push(
        `INSERT INTO column_reads VALUES ${values(
          entry.reads.map((c) => [
            c.entry_id,
            c.run_id,
            c.source,
            c.connection,
            c.relation,
            c.column,
            c.star,
          ]),
        )}`,
      );
    }
    statements.push('COMMIT');
    try {
      for (const sql of statements) await this.#session.run(sql);
    } catch (cause) {
      await this.#session.run('ROLLBACK').catch(() => undefined);
      throw cause;
    }
  }

  async addAuditRecords(records: IndexedAuditRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const before = await this.#count('audit_records');
    await this.#session.run(
      `INSERT OR IGNORE INTO audit_records VALUES ${values(
        records.map((a) => [
          a.hash,
          a.log,
          a.seq,
          a.ts,
          a.kind,
          a.run_id,
          a.subject,
          a.on_behalf_of,
          a.agent_id,
          a.source,
          a.connection,
          JSON.stringify(a.relations),
          JSON.stringify(a.columns),
          a.outcome,
          a.purpose,
          JSON.stringify(a.masks),
        ]),
      )}`,
    );
    return (await this.#count('audit_records')) - before;
  }

  async runs(): Promise<IndexedRun[]> {
    return (await this.#session.rows('SELECT * FROM runs ORDER BY started_at, run_id')).map(toRun);
  }

  async outputs(entryIds: string[]): Promise<IndexedOutput[]> {
    const rows = await this.#session.rows(
      `SELECT * FROM outputs WHERE entry_id IN ${inList(entryIds)} ORDER BY run_id, output`,
    );
    return rows.map((o) => ({
      entry_id: str(o.entry_id),
      run_id: str(o.run_id),
      output: str(o.output),
      format: str(o.format),
      path: str(o.path),
      files: json<string[]>(o.files, []),
      digest: str(o.digest),
      rows: Number(o.rows ?? 0),
    }));
  }

  async columnUses(column: string): Promise<ColumnUse[]> {
    return (
      await this.#session.rows(
        `SELECT * FROM column_uses WHERE lower(upstream_column) = lower(${quoteLiteral(column)}) OR upstream_column = '*'
         ORDER BY run_id, output, output_column, mask_index`,
      )
    ).map(toUse);
  }

  async usesOf(entryIds: string[]): Promise<ColumnUse[]> {
    return (
      await this.#session.rows(
        `SELECT * FROM column_uses WHERE entry_id IN ${inList(entryIds)} ORDER BY run_id, output, output_column, mask_index`,
      )
    ).map(toUse);
  }

  async columnReads(column: string): Promise<ColumnRead[]> {
    const rows = await this.#session.rows(
      `SELECT * FROM column_reads WHERE lower(column_name) = lower(${quoteLiteral(column)}) OR star ORDER BY run_id, source`,
    );
    return rows.map((c) => ({
      entry_id: str(c.entry_id),
      run_id: str(c.run_id),
      source: str(c.source),
      connection: str(c.connection),
      relation: str(c.relation),
      column: str(c.column_name),
      star: c.star === true,
    }));
  }

  async auditRecords(kinds: string[]): Promise<IndexedAuditRecord[]> {
    const rows = await this.#session.rows(
      `SELECT * FROM audit_records WHERE kind IN ${inList(kinds)} ORDER BY log, seq`,
    );
    return rows.map((a) => ({
      hash: str(a.hash),
      log: str(a.log),
      seq: Number(a.seq ?? 0),
      ts: str(a.ts),
      kind: str(a.kind),
      run_id: strOrNull(a.run_id),
      subject: strOrNull(a.subject),
      on_behalf_of: strOrNull(a.on_behalf_of),
      agent_id: strOrNull(a.agent_id),
      source: strOrNull(a.source),
      connection: strOrNull(a.connection),
      relations: json<string[]>(a.relations, []),
      columns: json<string[]>(a.columns, []),
      outcome: strOrNull(a.outcome),
      purpose: strOrNull(a.purpose),
      masks: json<IndexedAuditRecord['masks']>(a.masks, []),
    }));
  }

  async close(): Promise<void> {
    try {
      // Fold the write-ahead log into the file, so the index is one self-contained file.
      await this.#session.run('CHECKPOINT');
    } finally {
      this.#session.close();
      this.#db.close();
    }
  }

  async #count(table: string): Promise<number> {
    const rows = await this.#session.rows(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
    return Number(rows[0]?.n ?? 0);
  }
}

function toRun(r: Record<string, unknown>): IndexedRun {
  return {
    entry_id: str(r.entry_id),
    run_id: str(r.run_id),
    manifest_path: str(r.manifest_path),
    manifest_sha256: str(r.manifest_sha256),
    dataset_digest: str(r.dataset_digest),
    pipeline: str(r.pipeline),
    status: str(r.status),
    started_at: str(r.started_at),
    finished_at: str(r.finished_at),
    subject: str(r.subject),
    issuer: str(r.issuer),
    method: str(r.method),
    identity_verified: r.identity_verified === true,
    on_behalf_of: strOrNull(r.on_behalf_of),
    agent_id: strOrNull(r.agent_id),
    agent_model: strOrNull(r.agent_model),
    purpose: strOrNull(r.purpose),
    policy_sha256: strOrNull(r.policy_sha256),
    audit_head: strOrNull(r.audit_head),
    verification: r.verification === 'ok' ? 'ok' : 'failed',
    verification_problems: json<string[]>(r.verification_problems, []),
    signature: str(r.signature),
    indexed_at: str(r.indexed_at),
  };
}

function toUse(u: Record<string, unknown>): ColumnUse {
  return {
    entry_id: str(u.entry_id),
    run_id: str(u.run_id),
    output: str(u.output),
    output_column: str(u.output_column),
    source: str(u.source),
    source_column: str(u.source_column),
    source_type: strOrNull(u.source_type),
    connection: str(u.connection),
    relation: str(u.relation),
    upstream_column: str(u.upstream_column),
    derived: u.derived === true,
    lineage_complete: u.lineage_complete === true,
    mask: strOrNull(u.mask),
    key_id: strOrNull(u.key_id),
    params: json<Record<string, unknown>>(u.params, {}),
    mask_index: Number(u.mask_index ?? 0),
    mask_count: Number(u.mask_count ?? 0),
  };
}

const READERS: Record<string, (files: string) => string> = {
  parquet: (files) => `read_parquet(${files})`,
  jsonl: (files) => `read_json_auto(${files}, format = 'newline_delimited')`,
  csv: (files) => `read_csv_auto(${files}, header = true, all_varchar = true)`,
};

/**
 * Searches dataset files with an in-memory DuckDB. Comparisons are on the column's text; a
 * `sha256` match hashes each cell, so a raw value is never part of the SQL text.
 */
export async function openDatasetSearch(): Promise<DatasetSearch> {
  const db = await openDuckDB(':memory:');
  const session = await db.connect();
  return {
    formats: Object.keys(READERS),
    async count(files: string[], format: string, column: string, match: SubjectMatch): Promise<number> {
      const reader = READERS[format];
      if (!reader)
        throw new SluiceError('USAGE', `Format \`${format}\` cannot be searched.`, { context: { format } });
      const cell = `CAST(${quoteIdent(column)} AS VARCHAR)`;
      const predicate =
        match.kind === 'equals'
          ? `${cell} = ${quoteLiteral(match.text)}`
          : match.kind === 'contains'
            ? `contains(${cell}, ${quoteLiteral(match.text)})`
            : `sha256(${cell}) = ${quoteLiteral(match.hex)}`;
      const list = `[${files.map(quoteLiteral).join(', ')}]`;
      try {
        const rows = await session.rows(`SELECT count(*) AS n FROM ${reader(list)} WHERE ${predicate}`);
        return Number(rows[0]?.n ?? 0);
      } catch (cause) {
        throw new SluiceError(
          'SOURCE_FAILED',
          `Dataset files of format \`${format}\` could not be searched in column \`${column}\` (${cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : 'error'}). Check the files with \`pipeline manifest verify\`.`,
          { context: { format, column, files: files.length }, cause },
        );
      }
    },
    async close() {
      session.close();
      db.close();
    },
  };
}
