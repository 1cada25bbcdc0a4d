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
import { queryFailure } from './errors.js';
import type { FinishedFile } from './parquet-encoder.js';
import { ParquetWorkerWriter, warmParquetWorker } from './parquet-worker-writer.js';

/** The codec Parquet outputs use unless they name one: the fastest to write and read. */
export const DEFAULT_PARQUET_COMPRESSION = 'snappy';

export const parquetConfigSchema = z
  .strictObject({
    format: z.literal('parquet').describe('Output format: Apache Parquet.'),
    path: z
      .string()
      .describe('File to write, relative to the pipeline file directory. Example: `out/customers.parquet`.'),
    compression: z
      .enum(['snappy', 'zstd', 'gzip', 'uncompressed'])
      .default(DEFAULT_PARQUET_COMPRESSION)
      .describe(
        'Parquet page compression codec. `snappy` (the default, as in Arrow, DuckDB and Spark) writes fastest; `zstd` makes files about half the size and takes 2-3× the encoding time.',
      ),
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
  /** Scratch directory for the run (kept for callers; batches are streamed, not staged here). */
  workDir: string;
  compression: ParquetOutputConfig['compression'];
  rowGroupRows: number;
  /** Names the output in errors, e.g. "output `out/a.parquet`". */
  what?: string;
}

/**
 * Streams batches into a staged Parquet file with parquet-wasm in a worker thread (the same bytes
 * for the same input; encoding overlaps the extraction), or lets a SQL engine `COPY` a query
 * straight to it, and renames it into place on commit.
 */
export class ParquetSink implements Sink {
  readonly #options: ParquetSinkOptions;
  readonly #staged: string;
  readonly #what: string;
  #writer: ParquetWorkerWriter | undefined;
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
      const { compression, rowGroupRows } = this.#options;
      this.#writer = await ParquetWorkerWriter.open(this.#staged, schema, { compression, rowGroupRows });
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
      await this.#writer.write(batch);
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
    if (!writer) throw new SluiceError('INTERNAL', `Finish of ${this.#what} before open.`);
    let finished: FinishedFile;
    try {
      finished = await writer.finish();
      this.#writer = undefined;
      await fsyncPath(this.#staged);
    } catch (err) {
      throw this.#failure(err, signal);
    }
    this.#finished = true;
    const { rows, bytes, sha256 } = finished;
    return [{ tempPath: this.#staged, path: this.#options.path, rows, written: { bytes, sha256 } }];
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
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.abort();
    await removeQuietly(this.#staged);
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
  description:
    'Apache Parquet file written by arrow-rs (parquet-wasm), or by the SQL engine for a query (snappy by default).',
  configSchema: parquetConfigSchema,
  warm: () => warmParquetWorker(),
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
