import type { RecordBatch, Schema } from 'apache-arrow';
import { SluiceError, type SqlEngine, throwIfAborted } from '../../src/index.js';
import { loadBatches } from './arrow-to-duckdb.js';
import type { DuckDBSession } from './driver.js';
import { queryFailure } from './errors.js';
import { streamQuery } from './query-stream.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import { arrowSchemaFor } from './types.js';
import { openWorkDatabase, type WorkDatabase } from './work-database.js';

export interface DuckDBEngineOptions {
  /** Directory the work database and its spill files are created in (e.g. the run's temp dir). */
  dir: string;
  /** DuckDB memory limit, e.g. `'1GB'` (the default). Beyond it DuckDB spills to `dir`. */
  memoryLimit?: string;
  threads?: number;
}

const WHAT = 'the `select:` query';

/**
 * An embedded work database for a pipeline's `select:` SQL over masked sources: load each source
 * as a table, then stream the query result as Arrow record batches.
 *
 * @example
 * const engine = await DuckDBEngine.open({ dir: ctx.tempDir });
 * try {
 *   await engine.load('customers', schema, batches, signal);
 *   for await (const batch of engine.query('SELECT * FROM customers', 10_000, signal)) { ... }
 * } finally {
 *   await engine.close();
 * }
 */
export class DuckDBEngine implements SqlEngine {
  readonly #work: WorkDatabase;
  readonly #session: DuckDBSession;
  readonly #sessions = new Set<DuckDBSession>();
  #closed = false;

  private constructor(work: WorkDatabase, session: DuckDBSession) {
    this.#work = work;
    this.#session = session;
  }

  static async open(options: DuckDBEngineOptions): Promise<DuckDBEngine> {
    const work = await openWorkDatabase(options.dir, {
      ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    try {
      return new DuckDBEngine(work, await work.db.connect());
    } catch (err) {
      await work.dispose();
      throw err;
    }
  }

  /** Creates table `tableName` from `schema` and streams `batches` into it. */
  async load(
    tableName: string,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    signal: AbortSignal,
  ): Promise<void> {
    this.#assertOpen();
    throwIfAborted(signal);
    try {
      // Loading a table again replaces it (validation loads empty tables first).
      await this.#session.run(`DROP TABLE IF EXISTS ${quoteIdent(tableName)}`);
      await loadBatches(this.#session, tableName, schema, batches, signal, `table \`${tableName}\``);
    } catch (err) {
      throw queryFailure(err, `the work table \`${tableName}\``, signal, 'SOURCE_FAILED');
    }
  }

  /** Writes the result of `sql` to a Parquet file inside DuckDB, single-threaded so the bytes are reproducible. */
  async copyToParquet(
    sql: string,
    path: string,
    options: { compression: string; rowGroupRows: number },
    signal: AbortSignal,
  ): Promise<number> {
    this.#assertOpen();
    throwIfAborted(signal);
    try {
      await this.#session.run('SET threads = 1');
      const [row] = await this.#session.rows(
        `COPY (${sql}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION ${options.compression}, ROW_GROUP_SIZE ${options.rowGroupRows})`,
      );
      return Number(row?.['Count'] ?? 0);
    } catch (err) {
      throw queryFailure(err, WHAT, signal);
    }
  }

  /** The Arrow schema of `sql` without running it. */
  async describe(sql: string): Promise<Schema> {
    this.#assertOpen();
    try {
      return arrowSchemaFor(await this.#session.columnsOf(sql), WHAT);
    } catch (err) {
      throw queryFailure(err, WHAT, undefined);
    }
  }

  /** Streams the result of `sql` in batches of exactly `batchRows` rows (the last may be smaller). */
  async *query(sql: string, batchRows: number, signal: AbortSignal): AsyncGenerator<RecordBatch> {
    this.#assertOpen();
    const session = await this.#work.db.connect();
    this.#sessions.add(session);
    try {
      yield* streamQuery(session, { sql, batchRows, what: WHAT, signal });
    } finally {
      this.#sessions.delete(session);
      session.close();
    }
  }

  /** Closes the database and removes its files. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
    this.#session.close();
    await this.#work.dispose();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SluiceError('INTERNAL', 'The DuckDB work engine is already closed.');
  }
}
