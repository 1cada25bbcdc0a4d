import { Field, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import {
  type ComponentContext,
  SluiceError,
  type Source,
  type SourceSpec,
  throwIfAborted,
  typeToString,
} from '../../src/index.js';
import { type ColumnBuilder, createColumnBuilder } from './column-builder.js';
import type { PostgresConfig } from './config.js';
import { type ResolvedConnection, resolveConnection } from './connect-options.js';
import { ColumnDecodeError, CopyBinaryDecoder, CopyStreamError } from './copy-binary-decoder.js';
import { createPgPool, type PgCopyOut, type PgPool, type PgSession } from './driver.js';
import { toPostgresError } from './errors.js';
import { UnrepresentableValueError } from './pg-text.js';
import { joinSharedSnapshot, type SharedSnapshotLease } from './shared-snapshot.js';
import { arrowType, type ColumnDescription, resolveColumnTypes, selectExpr } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * Reads a query from PostgreSQL as Arrow record batches, inside a `REPEATABLE READ READ ONLY`
 * transaction with statement and idle timeouts. With `copy_binary` (the default) rows arrive via
 * `COPY (query) TO STDOUT (FORMAT binary)` decoded straight into Arrow buffers; otherwise through a
 * server-side cursor. Both paths produce identical batches.
 */
export class PostgresSource implements Source {
  readonly name: string;
  readonly query: string;
  readonly #config: PostgresConfig;
  readonly #spec: SourceSpec;
  readonly #ctx: ComponentContext;
  #connection: ResolvedConnection | undefined;
  #pool: PgPool | undefined;
  #lease: SharedSnapshotLease | undefined;
  #columns: ColumnDescription[] | undefined;
  #schema: Schema | undefined;
  #snapshot: Record<string, unknown> | undefined;

  constructor(config: PostgresConfig, spec: SourceSpec, ctx: ComponentContext) {
    this.#config = config;
    this.#spec = spec;
    this.#ctx = ctx;
    this.name = spec.name;
    this.query = sourceQuery(spec);
  }

  async describe(signal: AbortSignal): Promise<Schema> {
    throwIfAborted(signal);
    if (this.#schema) return this.#schema;
    return this.#withSession(signal, async (session) => {
      await this.#begin(session);
      const columns = await this.#describeColumns(session);
      await session.query('ROLLBACK');
      return this.#schemaFor(columns);
    });
  }

  async *read(signal: AbortSignal): AsyncGenerator<RecordBatch> {
    throwIfAborted(signal);
    const pool = await this.#openPool();
    let session: PgSession | undefined;
    let copy: PgCopyOut | undefined;
    let clean = false;
    const onAbort = () => {
      // Stop the statement and drop the connection: a pending read then fails at once, even if
      // the server cannot be reached.
      void session?.cancel();
      copy?.destroy(abortError());
      session?.release(true);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const shared = await this.#lease?.snapshotId();
      throwIfAborted(signal);
      session = await pool.session();
      throwIfAborted(signal);
      const version = await this.#begin(session, shared);
      const columns = await this.#describeColumns(session);
      const schema = this.#schemaFor(columns);
      this.#snapshot = await readSnapshot(session, version, shared);
      const batchRows = this.#spec.batch_rows;
      const fieldTypes = schema.fields.map((f) => f.type);
      const builders = columns.map((c, i) => createColumnBuilder(c.type, fieldTypes[i] as never, batchRows));
      const select = castSelect(this.query, columns);
      throwIfAborted(signal);

      if (this.#config.copy_binary) {
        copy = session.copyOut(`COPY (${select}) TO STDOUT (FORMAT binary)`);
        const decoder = new CopyBinaryDecoder(builders);
        const sink = (buf: Buffer, start: number, end: number): boolean => {
          decoder.write(buf, batchRows, start, end);
          return decoder.rows < batchRows;
        };
        for (;;) {
          const more = await copy.read(sink);
          decoder.flush();
          while (decoder.rows >= batchRows) {
            decoder.rows = 0;
            yield toBatch(schema, builders, batchRows);
            decoder.write(EMPTY, batchRows);
            decoder.flush();
          }
          if (!more) break;
        }
        throwIfAborted(signal);
        decoder.end();
        if (decoder.rows > 0) yield toBatch(schema, builders, decoder.rows);
      } else {
        const cursor = session.cursor(select);
        const width = builders.length;
        let rows = 0;
        for (;;) {
          const fetched = await cursor.read(batchRows);
          for (const row of fetched) {
            let i = 0;
            try {
              for (; i < width; i++) {
                const value = row[i];
                const builder = builders[i]!;
                if (value === null || value === undefined) builder.appendNull();
                else builder.appendText(value);
              }
            } catch (err) {
              throw new ColumnDecodeError(i, err);
            }
            rows++;
          }
          if (rows === batchRows) {
            rows = 0;
            yield toBatch(schema, builders, batchRows);
          }
          if (fetched.length < batchRows) break;
        }
        throwIfAborted(signal);
        if (rows > 0) yield toBatch(schema, builders, rows);
      }
      copy = undefined;
      await session.query('COMMIT');
      clean = true;
    } catch (err) {
      throw this.#error(err, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (session && !clean) {
        // Early stop, error or abort: stop the statement, and drop the connection rather than
        // trust its protocol state; the server rolls the transaction back.
        copy?.destroy(abortError());
        await session.cancel();
        session.release(true);
      } else session?.release(false);
    }
  }

  snapshot(): Record<string, unknown> | undefined {
    return this.#snapshot;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    const lease = this.#lease;
    this.#pool = undefined;
    this.#lease = undefined;
    try {
      await pool?.end();
    } finally {
      await lease?.release();
    }
  }

  async #openPool(): Promise<PgPool> {
    if (this.#pool) return this.#pool;
    const applicationName = `sluice:${this.#ctx.runId}`.slice(0, 63);
    this.#connection = await resolveConnection(this.#config, this.#ctx, applicationName);
    this.#pool = createPgPool(this.#connection.options);
    this.#lease = joinSharedSnapshot(this.#ctx.runId, this.#connection.options, createPgPool);
    return this.#pool;
  }

  async #withSession<T>(signal: AbortSignal, work: (session: PgSession) => Promise<T>): Promise<T> {
    const pool = await this.#openPool();
    let session: PgSession | undefined;
    let ok = false;
    const onAbort = () => void session?.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      session = await pool.session();
      const result = await work(session);
      ok = true;
      return result;
    } catch (err) {
      throw this.#error(err, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      session?.release(!ok);
    }
  }

  /** Opens the extraction transaction, on `snapshotId` when given; returns `server_version_num`. */
  async #begin(session: PgSession, snapshotId?: string): Promise<number> {
    await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Must be the transaction's first statement; SET takes no bind parameters. The id comes from
    // pg_export_snapshot() on the same server.
    if (snapshotId !== undefined) {
      await session.query(`SET TRANSACTION SNAPSHOT '${snapshotId.replace(/'/g, "''")}'`);
    }
    const { rows } = await session.query(
      `SELECT current_setting('server_version_num'),
        set_config('statement_timeout', $1, true),
        set_config('idle_in_transaction_session_timeout', $2, true),
        set_config('application_name', $3, true),
        set_config('DateStyle', 'ISO, YMD', true),
        set_config('IntervalStyle', 'iso_8601', true),
        set_config('TimeZone', 'UTC', true),
        set_config('extra_float_digits', '3', true),
        set_config('bytea_output', 'hex', true),
        (SELECT set_config('client_connection_check_interval', '1000', true)
          WHERE current_setting('server_version_num')::int >= 140000)`,
      [
        String(this.#config.statement_timeout_ms),
        String(this.#config.idle_in_transaction_session_timeout_ms),
        `sluice:${this.#ctx.runId}`.slice(0, 63),
      ],
    );
    return Number(rows[0]?.[0] ?? 0);
  }

  async #describeColumns(session: PgSession): Promise<ColumnDescription[]> {
    const probe = await session.query(`SELECT * FROM (\n${this.query}\n) AS sluice_q LIMIT 0`);
    const columns = await resolveColumnTypes(session, probe.fields);
    const known = this.#columns;
    if (known) {
      const same =
        known.length === columns.length &&
        known.every(
          (c, i) =>
            c.name === columns[i]?.name && JSON.stringify(c.type) === JSON.stringify(columns[i]?.type),
        );
      if (!same) {
        throw new SluiceError(
          'SCHEMA_MISMATCH',
          `The columns of source \`${this.name}\` changed between planning and reading. Run again.`,
          { context: { source: this.name } },
        );
      }
    }
    this.#columns = columns;
    return columns;
  }

  #schemaFor(columns: ColumnDescription[]): Schema {
    if (this.#schema) return this.#schema;
    const ids = { next: 0 };
    this.#schema = new Schema(columns.map((c) => new Field(c.name, arrowType(c.type, ids), true)));
    return this.#schema;
  }

  #error(err: unknown, signal: AbortSignal): SluiceError {
    const scope = {
      source: this.name,
      secrets: this.#connection?.secrets ?? [],
      cancelledByUs: signal.aborted,
      ...(this.#connection ? { target: this.#connection.target } : {}),
    };
    if (signal.aborted && !(err instanceof SluiceError && err.code !== 'CANCELLED')) {
      return new SluiceError('CANCELLED', `Reading source \`${this.name}\` was cancelled.`, {
        context: { source: this.name },
      });
    }
    if (err instanceof ColumnDecodeError) {
      const column = this.#columns?.[err.column];
      const field = this.#schema?.fields[err.column];
      const name = column?.name ?? `#${err.column + 1}`;
      const reason =
        err.reason instanceof UnrepresentableValueError ? err.reason.message : 'a value it cannot decode';
      return new SluiceError(
        'SOURCE_FAILED',
        `Column \`${name}\` of source \`${this.name}\` (PostgreSQL \`${column?.type.pgType ?? '?'}\`) holds ${reason}, which \`${field ? typeToString(field.type) : '?'}\` cannot represent. Cast or filter it in the query.`,
        { context: { source: this.name, column: name, pg_type: column?.type.pgType } },
      );
    }
    if (err instanceof CopyStreamError) {
      return new SluiceError(
        'SOURCE_UNAVAILABLE',
        `The COPY stream of source \`${this.name}\` ended early (${err.message}); the connection was probably lost. The output is incomplete and was not committed. Run again.`,
        { context: { source: this.name } },
      );
    }
    return toPostgresError(err, scope);
  }
}

function toBatch(schema: Schema, builders: ColumnBuilder[], length: number): RecordBatch {
  const children = builders.map((b) => b.finish());
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }),
  );
}

async function readSnapshot(
  session: PgSession,
  version: number,
  exported: string | undefined,
): Promise<Record<string, unknown>> {
  const snapshotFn = version >= 130000 ? 'pg_current_snapshot()' : 'txid_current_snapshot()';
  const { rows } = await session.query(
    `SELECT ${snapshotFn}::text,
      CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text
           WHEN has_function_privilege('pg_current_wal_lsn()', 'EXECUTE') THEN pg_current_wal_lsn()::text END,
      current_setting('server_version')`,
  );
  const row = rows[0] ?? [];
  return {
    isolation: 'repeatable read',
    read_only: true,
    snapshot: row[0],
    ...(exported ? { exported_snapshot: exported } : {}),
    ...(row[1] ? { wal_lsn: row[1] } : {}),
    server_version: row[2],
  };
}

/** The SELECT a source runs: its `query`, or one built from `table` and `columns`. */
export function sourceQuery(spec: SourceSpec): string {
  if (spec.query !== undefined) return spec.query.trim().replace(/;+\s*$/, '');
  if (spec.table === undefined) {
    throw new SluiceError('CONFIG_INVALID', `Source \`${spec.name}\` needs a \`query\` or a \`table\`.`, {
      context: { source: spec.name },
    });
  }
  const table = spec.table.split('.').map(quoteIdent).join('.');
  const columns = spec.columns?.length ? spec.columns.map(quoteIdent).join(', ') : '*';
  return `SELECT ${columns} FROM ${table}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The query with the columns that are read through their text output cast to text. Columns are
 * renamed by position, so duplicate or odd names do not matter.
 */
export function castSelect(query: string, columns: ColumnDescription[]): string {
  const aliases = columns.map((_, i) => `c${i + 1}`);
  const exprs = columns.map((c, i) => selectExpr(c.type, aliases[i] as string));
  if (exprs.every((e, i) => e === aliases[i])) return query;
  const list = exprs.join(', ');
  return `SELECT ${list} FROM (\n${query}\n) AS sluice_q(${aliases.join(', ')})`;
}

function abortError(): Error {
  const err = new Error('The operation was aborted.');
  err.name = 'AbortError';
  return err;
}
