import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { z } from 'zod';
import {
  type ComponentContext,
  commitFile,
  fsyncPath,
  type OutputDefinition,
  removeQuietly,
  type Sink,
  SluiceError,
  type SqlEngine,
  type StagedFile,
  stagedPathFor,
  throwIfAborted,
  toSluiceError,
} from '../../src/index.js';
import { ArrowTableWriter } from './arrow-to-duckdb.js';
import type { DuckDBSession } from './driver.js';
import { queryFailure } from './errors.js';
import { quoteLiteral } from './sql.js';
import { openWorkDatabase, type WorkDatabase } from './work-database.js';

export const parquetConfigSchema = z
  .strictObject({
    format: z.literal('parquet').describe('Output format: Apache Parquet, written by DuckDB.'),
    path: z
      .string()
      .describe('File to write, relative to the pipeline file directory. Example: `out/customers.parquet`.'),
    compression: z
      .enum(['zstd', 'snappy', 'gzip', 'uncompressed'])
      .default('zstd')
      .describe('Parquet page compression codec.'),
    row_group_rows: z
      .number()
      .int()
      .positive()
      .default(122880)
      .describe(
        'Rows per Parquet row group. Larger groups compress better; smaller ones are cheaper to read partially.',
      ),
  })
  .describe('A Parquet file, staged and renamed into place when the run succeeds.');

export type ParquetOutputConfig = z.infer<typeof parquetConfigSchema>;

export interface ParquetSinkOptions {
  /** Absolute path of the final file. */
  path: string;
  runId: string;
  /** Where the private work database lives (need not be on the output's filesystem). */
  workDir: string;
  compression: ParquetOutputConfig['compression'];
  rowGroupRows: number;
  /** Names the output in errors, e.g. "output `out/a.parquet`". */
  what?: string;
}

/**
 * Writes batches into a private DuckDB table, then `COPY`s it to a staged Parquet file with one
 * thread so the bytes are the same for the same input, and renames it into place on commit.
 */
export class ParquetSink implements Sink {
  readonly #options: ParquetSinkOptions;
  readonly #staged: string;
  readonly #what: string;
  #work: WorkDatabase | undefined;
  #session: DuckDBSession | undefined;
  #writer: ArrowTableWriter | undefined;
  #finished = false;
  /** Rows written by `writeQuery`, when the engine wrote the file itself. */
  #queryRows: number | undefined;

  constructor(options: ParquetSinkOptions) {
    this.#options = options;
    this.#staged = stagedPathFor(options.path, options.runId);
    this.#what = options.what ?? `output \`${options.path}\``;
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    try {
      await mkdir(dirname(this.#options.path), { recursive: true });
      this.#work = await openWorkDatabase(this.#options.workDir, { threads: 1 });
      this.#session = await this.#work.db.connect();
      this.#writer = await ArrowTableWriter.create(this.#session, 't', schema, this.#what);
    } catch (err) {
      await this.abort();
      throw this.#failure(err, signal);
    }
  }

  async writeQuery(engine: SqlEngine, sql: string, signal: AbortSignal): Promise<boolean> {
    if (!engine.copyToParquet) return false;
    throwIfAborted(signal);
    const { compression, rowGroupRows } = this.#options;
    try {
      await mkdir(dirname(this.#options.path), { recursive: true });
      this.#queryRows = await engine.copyToParquet(sql, this.#staged, { compression, rowGroupRows }, signal);
      return true;
    } catch (err) {
      await this.abort();
      throw err instanceof SluiceError ? err : this.#failure(err, signal);
    }
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (!this.#writer) throw new SluiceError('INTERNAL', `Write to ${this.#what} before open.`);
    try {
      this.#writer.append(batch);
    } catch (err) {
      throw this.#failure(err, signal);
    }
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    throwIfAborted(signal);
    if (this.#queryRows !== undefined) {
      await fsyncPath(this.#staged);
      this.#finished = true;
      return [{ tempPath: this.#staged, path: this.#options.path, rows: this.#queryRows }];
    }
    const writer = this.#writer;
    const session = this.#session;
    if (!writer || !session) throw new SluiceError('INTERNAL', `Finish of ${this.#what} before open.`);
    const { compression, rowGroupRows } = this.#options;
    try {
      writer.close();
      await session.run(
        `COPY t TO ${quoteLiteral(this.#staged)} (FORMAT parquet, COMPRESSION ${compression}, ROW_GROUP_SIZE ${rowGroupRows})`,
      );
      await this.#closeWork();
      await fsyncPath(this.#staged);
    } catch (err) {
      throw this.#failure(err, signal);
    }
    this.#finished = true;
    return [{ tempPath: this.#staged, path: this.#options.path, rows: writer.rows }];
  }

  async commit(): Promise<void> {
    if (!this.#finished) throw new SluiceError('INTERNAL', `Commit of ${this.#what} before finish.`);
    try {
      await commitFile(this.#staged, this.#options.path);
    } catch (err) {
      throw toSluiceError(err, 'SINK_FAILED');
    }
  }

  async abort(): Promise<void> {
    await this.#closeWork();
    await removeQuietly(this.#staged);
  }

  async #closeWork(): Promise<void> {
    const work = this.#work;
    this.#work = undefined;
    this.#session?.close();
    this.#session = undefined;
    await work?.dispose();
  }

  #failure(err: unknown, signal: AbortSignal): SluiceError {
    if ((err as NodeJS.ErrnoException)?.code !== undefined) return toSluiceError(err, 'SINK_FAILED');
    return queryFailure(err, this.#what, signal, 'SINK_FAILED');
  }
}

/** `outputs[]` entry with `format: parquet`. */
export const parquetOutput: OutputDefinition<ParquetOutputConfig> = {
  kind: 'output',
  type: 'parquet',
  description: 'Apache Parquet file written through an embedded DuckDB (zstd by default).',
  configSchema: parquetConfigSchema,
  create(config: ParquetOutputConfig, ctx: ComponentContext): Sink {
    const path = resolve(ctx.baseDir, config.path);
    return new ParquetSink({
      path,
      runId: ctx.runId,
      workDir: ctx.tempDir,
      compression: config.compression,
      rowGroupRows: config.row_group_rows,
      what: `output \`${config.path}\``,
    });
  },
};
