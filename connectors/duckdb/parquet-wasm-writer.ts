import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import type { RecordBatch, Schema } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { batchToIpc, schemaToIpc } from './parquet-batch-ipc.js';
import {
  createParquetEncoder,
  type FinishedFile,
  type ParquetEncoder,
  type ParquetEncoderOptions,
  type WrittenFile,
  writtenFile,
} from './parquet-encoder.js';

export type ParquetWasmWriterOptions = ParquetEncoderOptions;

/**
 * Streams Arrow batches into a Parquet file through parquet-wasm on the calling thread (see
 * `createParquetEncoder`). `ParquetWorkerWriter` runs the same encoder in a worker thread and
 * writes the same bytes.
 */
export class ParquetWasmWriter {
  readonly #schema: Schema;
  readonly #encoder: ParquetEncoder;
  readonly #file: WrittenFile;
  readonly #hash = createHash('sha256');
  #rows = 0;

  private constructor(file: FileHandle, schema: Schema, options: ParquetWasmWriterOptions) {
    this.#schema = schema;
    this.#file = writtenFile(file, (chunk) => this.#hash.update(chunk));
    this.#encoder = createParquetEncoder(parquetWasm, this.#file, options);
  }

  /** Opens (truncates) `path` for writing. */
  static async open(
    path: string,
    schema: Schema,
    options: ParquetWasmWriterOptions,
  ): Promise<ParquetWasmWriter> {
    const file = await open(path, 'w');
    return new ParquetWasmWriter(file, schema, options);
  }

  get rows(): number {
    return this.#rows;
  }

  /** Hands `batch` to the encoder; resolves once it can take another. */
  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    await this.#encoder.write(batchToIpc(batch, this.#schema));
    this.#rows += batch.numRows;
  }

  /** Writes the footer and closes the file (not fsynced). */
  async finish(): Promise<FinishedFile> {
    await this.#encoder.finish(schemaToIpc(this.#schema));
    return { rows: this.#rows, bytes: this.#file.bytes, sha256: this.#hash.digest('hex') };
  }

  /** Stops encoding and closes the file; the caller removes it. */
  async abort(): Promise<void> {
    await this.#encoder.abort();
  }
}
