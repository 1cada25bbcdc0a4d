import type { FileHandle } from 'node:fs/promises';
import type * as ParquetWasm from 'parquet-wasm';

export interface ParquetEncoderOptions {
  compression: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  rowGroupRows: number;
}

/** Where the encoder writes; a `FileHandle` fits. */
export interface ParquetEncoderFile {
  write(chunk: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

/** A finished Parquet file: its rows, and the size and SHA-256 of the bytes written. */
export interface FinishedFile {
  rows: number;
  bytes: number;
  sha256: string;
}

/** A file that counts the bytes written to it. */
export interface WrittenFile extends ParquetEncoderFile {
  readonly bytes: number;
}

/**
 * Wraps `file` so each chunk is written in full (a short write goes on from where it stopped) and
 * then handed to `written`, e.g. to hash the file without reading it again; `written` may take
 * the chunk (transfer its buffer). Self-contained like the encoder: the encoding worker runs its
 * source text.
 */
export function writtenFile(file: FileHandle, written: (chunk: Uint8Array) => void): WrittenFile {
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await file.write(chunk, done, chunk.length - done);
        done += bytesWritten;
      }
      bytes += chunk.length;
      written(chunk);
    },
    close: () => file.close(),
  };
}

/** An arrow-rs Parquet writer fed with Arrow IPC streams, one record batch each. */
export interface ParquetEncoder {
  /** Hands one batch (an Arrow IPC stream holding one record batch) over; resolves once another fits. */
  write(ipc: Uint8Array): Promise<void>;
  /**
   * Writes the last row group and the footer, then closes the file. `emptyIpc` (the schema, no
   * batch) is encoded instead when no batch came, so the file still has the columns.
   */
  finish(emptyIpc: Uint8Array): Promise<void>;
  /** Stops encoding and closes the file; the caller removes it. */
  abort(): Promise<void>;
}

/**
 * Streams Arrow batches into a Parquet file through parquet-wasm (arrow-rs in WebAssembly): each
 * batch crosses into WASM as one Arrow IPC message and the encoder flushes a row group once it
 * holds `rowGroupRows` rows, so memory stays bounded by about one row group. The same input gives
 * the same bytes.
 *
 * Self-contained on purpose: the encoding worker runs this function's source text, so it uses its
 * parameters and nothing else of this module.
 */
export function createParquetEncoder(
  pw: typeof ParquetWasm,
  file: ParquetEncoderFile,
  options: ParquetEncoderOptions,
): ParquetEncoder {
  const codecs = {
    zstd: pw.Compression.ZSTD,
    snappy: pw.Compression.SNAPPY,
    gzip: pw.Compression.GZIP,
    uncompressed: pw.Compression.UNCOMPRESSED,
  };
  const props = new pw.WriterPropertiesBuilder()
    .setCompression(codecs[options.compression])
    .setMaxRowGroupSize(options.rowGroupRows)
    .setDictionaryEnabled(false)
    // Column-chunk min/max/null counts (row-group pruning); no per-page statistics or page index,
    // which cost ~10 % of the encoding and matter little for files that are read whole.
    .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
    .setWriterVersion(pw.WriterVersion.V1)
    // A constant so the bytes depend on the data only, not on the library build.
    .setCreatedBy('sluice (parquet-wasm 0.8.0)')
    .build();
  let input: WritableStreamDefaultWriter<ParquetWasm.RecordBatch> | undefined;
  let done: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let closed = false;

  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };
  const closeFile = async () => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  const toWasm = (ipc: Uint8Array): ParquetWasm.RecordBatch => {
    const table = pw.Table.fromIPCStream(ipc);
    try {
      const batch = table.recordBatch(0);
      if (!batch) throw new Error('Arrow IPC stream without a batch');
      return batch;
    } finally {
      table.free();
    }
  };
  const drain = async (readable: ReadableStream<ParquetWasm.RecordBatch>) => {
    try {
      const output = (await pw.transformParquetStream(readable, props)) as ReadableStream<Uint8Array>;
      for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
    } catch (err) {
      failure ??= { error: err };
      throw err;
    }
  };
  // Started by the first batch: the encoder cannot start on a stream without one.
  const start = () => {
    const { readable, writable } = new TransformStream<ParquetWasm.RecordBatch, ParquetWasm.RecordBatch>(
      undefined,
      { highWaterMark: 1 },
    );
    input = writable.getWriter();
    done = drain(readable);
    // Observed through `failure` and `finish`; never an unhandled rejection.
    done.catch(() => {});
    return input;
  };

  return {
    async write(ipc) {
      throwIfFailed();
      const writer = input ?? start();
      await Promise.race([writer.ready, done]);
      throwIfFailed();
      void writer.write(toWasm(ipc)).catch(() => {});
    },
    async finish(emptyIpc) {
      throwIfFailed();
      if (input) {
        await input.close();
        await done;
      } else {
        // No rows: a file with the schema and no row group.
        await file.write(pw.writeParquet(pw.Table.fromIPCStream(emptyIpc), props));
      }
      await closeFile();
    },
    async abort() {
      await input?.abort().catch(() => {});
      await done.catch(() => {});
      await closeFile();
    },
  };
}
