import { type FileHandle, open } from 'node:fs/promises';
import {
  RecordBatch as ArrowRecordBatch,
  Table as ArrowTable,
  type RecordBatch,
  RecordBatchStreamWriter,
  type Schema,
  tableToIPC,
} from 'apache-arrow';
import {
  Compression,
  transformParquetStream,
  type RecordBatch as WasmRecordBatch,
  Table as WasmTable,
  type WriterProperties,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet,
} from 'parquet-wasm';

export interface ParquetWasmWriterOptions {
  compression: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  rowGroupRows: number;
}

const CODECS: Record<ParquetWasmWriterOptions['compression'], Compression> = {
  zstd: Compression.ZSTD,
  snappy: Compression.SNAPPY,
  gzip: Compression.GZIP,
  uncompressed: Compression.UNCOMPRESSED,
};

// A constant so the bytes depend on the data only, not on the library build.
const CREATED_BY = 'sluice (parquet-wasm 0.8.0)';

/**
 * Streams Arrow batches into a Parquet file through parquet-wasm (arrow-rs in WebAssembly): each
 * batch crosses into WASM as one Arrow IPC message and the encoder flushes a row group once it
 * holds `rowGroupRows` rows, so memory stays bounded by about one row group.
 */
export class ParquetWasmWriter {
  readonly #file: FileHandle;
  readonly #schema: Schema;
  readonly #props: WriterProperties;
  #input: WritableStreamDefaultWriter<WasmRecordBatch> | undefined;
  #done: Promise<void> = Promise.resolve();
  #failure: unknown;
  #rows = 0;
  #closed = false;

  private constructor(file: FileHandle, schema: Schema, options: ParquetWasmWriterOptions) {
    this.#file = file;
    this.#schema = schema;
    this.#props = new WriterPropertiesBuilder()
      .setCompression(CODECS[options.compression])
      .setMaxRowGroupSize(options.rowGroupRows)
      .setDictionaryEnabled(false)
      .setWriterVersion(WriterVersion.V1)
      .setCreatedBy(CREATED_BY)
      .build();
  }

  // Started by the first batch: the encoder cannot start on a stream without one.
  #start(): WritableStreamDefaultWriter<WasmRecordBatch> {
    const { readable, writable } = new TransformStream<WasmRecordBatch, WasmRecordBatch>(undefined, {
      highWaterMark: 1,
    });
    this.#input = writable.getWriter();
    this.#done = this.#drain(readable, this.#props);
    // Observed through `#failure` and `finish`; never an unhandled rejection.
    this.#done.catch(() => {});
    return this.#input;
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
    this.#throwIfFailed();
    const input = this.#input ?? this.#start();
    await Promise.race([input.ready, this.#done]);
    this.#throwIfFailed();
    const wasmBatch = toWasm(batch, this.#schema);
    void input.write(wasmBatch).catch(() => {});
    this.#rows += batch.numRows;
  }

  /** Writes the footer and closes the file (not fsynced). */
  async finish(): Promise<number> {
    this.#throwIfFailed();
    if (this.#input) {
      await this.#input.close();
      await this.#done;
    } else {
      // No rows: a file with the schema and no row group.
      const ipc = tableToIPC(new ArrowTable(this.#schema), 'stream');
      await this.#file.write(writeParquet(WasmTable.fromIPCStream(ipc), this.#props));
    }
    await this.#closeFile();
    return this.#rows;
  }

  /** Stops encoding and closes the file; the caller removes it. */
  async abort(): Promise<void> {
    await this.#input?.abort().catch(() => {});
    await this.#done.catch(() => {});
    await this.#closeFile();
  }

  async #drain(
    readable: ReadableStream<WasmRecordBatch>,
    props: ReturnType<WriterPropertiesBuilder['build']>,
  ) {
    try {
      const output = (await transformParquetStream(readable, props)) as ReadableStream<Uint8Array>;
      for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
        await this.#file.write(chunk);
      }
    } catch (err) {
      this.#failure ??= err;
      throw err;
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #closeFile(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#file.close();
  }
}

function toWasm(batch: RecordBatch, schema: Schema): WasmRecordBatch {
  const ipc = RecordBatchStreamWriter.writeAll([new ArrowRecordBatch(schema, batch.data)]).toUint8Array(true);
  const table = WasmTable.fromIPCStream(ipc);
  try {
    const wasmBatch = table.recordBatch(0);
    if (!wasmBatch) throw new Error('Arrow IPC stream without a batch');
    return wasmBatch;
  } finally {
    table.free();
  }
}
