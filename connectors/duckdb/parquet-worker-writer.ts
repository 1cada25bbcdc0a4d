import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type Transferable, Worker } from 'node:worker_threads';
import type { RecordBatch, Schema } from 'apache-arrow';
import { batchToIpc, schemaToIpc } from './parquet-batch-ipc.js';
import { encodeWorkerMain, type FromEncodeWorker, type ToEncodeWorker } from './parquet-encode-worker.js';
import {
  createParquetEncoder,
  type FinishedFile,
  type ParquetEncoderOptions,
  writtenFile,
} from './parquet-encoder.js';

export interface ParquetWorkerWriterOptions extends ParquetEncoderOptions {
  /** Batches handed to the worker and not yet taken by its encoder; `write` waits beyond that. */
  maxInFlight?: number;
}

// The worker runs the encoder's source text (it is self-contained), so the same code runs whether
// this module was compiled by tsc or transformed on the fly by a test runner, and no separate
// worker file has to be found next to it.
// Only dynamic import(), which both CommonJS and ES module code have: a parent started with
// `--input-type=module` makes its eval'd workers ES modules, without `require`.
const WORKER_SOURCE = `
import('node:worker_threads').then(({ parentPort, workerData }) => {
  // Each written chunk goes to the parent, which hashes it: this thread is the busier one.
  const wrap = (file) => (${writtenFile.toString()})(file, (chunk) => {
    const owned = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
    parentPort.postMessage({ type: 'written', chunk }, owned ? [chunk.buffer] : []);
  });
  return import(workerData.parquetWasm).then(
    (pw) => (${encodeWorkerMain.toString()})(parentPort, pw, (${createParquetEncoder.toString()}), wrap),
    (err) => parentPort.postMessage({ type: 'failed', name: 'Error', message: 'parquet-wasm did not load in the encoding worker: ' + (err && err.message) }),
  );
});
`;

let parquetWasmUrl: string | undefined;
function resolveParquetWasm(): string {
  parquetWasmUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('parquet-wasm')).href;
  return parquetWasmUrl;
}

const ABORT_WAIT_MS = 5_000;

function spawnWorker(): Worker {
  return new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { parquetWasm: resolveParquetWasm() },
  });
}

/** A worker started ahead of time, and what it said before a writer took it (a load failure). */
let warm: { worker: Worker; early: FromEncodeWorker[] } | undefined;

/**
 * Starts an encoding worker now, so that it loads parquet-wasm (~0.25 s) while the run is still
 * planning; the next `ParquetWorkerWriter.open` takes it. Unreferenced until then, so an unused
 * worker does not keep the process alive.
 */
export function warmParquetWorker(): void {
  if (warm) return;
  let worker: Worker;
  try {
    worker = spawnWorker();
  } catch {
    return;
  }
  const early: FromEncodeWorker[] = [];
  const spare = { worker, early };
  worker.on('message', (message: FromEncodeWorker) => early.push(message));
  const drop = () => {
    if (warm === spare) warm = undefined;
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  worker.unref();
  warm = spare;
}

/** The warm worker if there is one, else a new one; with the messages it sent so far. */
function takeWorker(): { worker: Worker; early: FromEncodeWorker[] } {
  const spare = warm;
  warm = undefined;
  if (!spare) return { worker: spawnWorker(), early: [] };
  spare.worker.removeAllListeners('message');
  spare.worker.removeAllListeners('error');
  spare.worker.removeAllListeners('exit');
  spare.worker.ref();
  return spare;
}

/** A promise and the function that resolves it. */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Streams Arrow batches into a Parquet file with parquet-wasm in a worker thread, so encoding
 * overlaps reading and masking. Each batch crosses as Arrow IPC bytes whose buffer is transferred,
 * not copied; at most `maxInFlight` (default 2) batches wait in the worker, so memory stays
 * bounded. Writes the same bytes as `ParquetWasmWriter`.
 */
export class ParquetWorkerWriter {
  readonly #schema: Schema;
  readonly #worker: Worker;
  readonly #maxInFlight: number;
  #inFlight = 0;
  #rows = 0;
  #failure: { error: Error } | undefined;
  #finished: FinishedFile | undefined;
  /** SHA-256 of the chunks the worker reported written, in order. */
  readonly #hash = createHash('sha256');
  #hashed = 0;
  #aborted = false;
  #exited = false;
  #closing = false;
  #changed = signalled();

  private constructor(worker: Worker, schema: Schema, maxInFlight: number) {
    this.#worker = worker;
    this.#schema = schema;
    this.#maxInFlight = maxInFlight;
    worker.on('message', (message: FromEncodeWorker) => this.#onMessage(message));
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', () => {
      this.#exited = true;
      if (!this.#finished && !this.#aborted)
        this.#fail(new Error('the Parquet encoding worker stopped before the file was finished'));
      this.#notify();
    });
  }

  /** Opens (truncates) `path` here, so a bad path fails at once, and hands it to a new worker. */
  static async open(
    path: string,
    schema: Schema,
    options: ParquetWorkerWriterOptions,
  ): Promise<ParquetWorkerWriter> {
    const file = await open(path, 'w');
    let taken: { worker: Worker; early: FromEncodeWorker[] };
    try {
      taken = takeWorker();
    } catch (err) {
      await file.close();
      throw err;
    }
    const writer = new ParquetWorkerWriter(taken.worker, schema, Math.max(1, options.maxInFlight ?? 2));
    for (const message of taken.early) writer.#onMessage(message);
    const { compression, rowGroupRows } = options;
    writer.#post({ type: 'start', file, options: { compression, rowGroupRows } }, [file]);
    return writer;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Hands `batch` to the worker; resolves once fewer than `maxInFlight` batches wait there. */
  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    this.#throwIfFailed();
    const ipc = batchToIpc(batch, this.#schema);
    this.#post({ type: 'batch', ipc }, [ipc.buffer as ArrayBuffer]);
    this.#inFlight++;
    this.#rows += batch.numRows;
    while (this.#inFlight >= this.#maxInFlight && !this.#failure) await this.#changed.promise;
    this.#throwIfFailed();
  }

  /** Writes the footer and closes the file (not fsynced); the worker then ends. */
  async finish(): Promise<FinishedFile> {
    this.#throwIfFailed();
    this.#post({ type: 'finish', emptyIpc: schemaToIpc(this.#schema) });
    while (!this.#finished && !this.#failure) await this.#changed.promise;
    this.#throwIfFailed();
    this.#closing = true;
    await this.#worker.terminate();
    return this.#finished as FinishedFile;
  }

  /** Stops encoding, closes the file and ends the worker; the caller removes the file. */
  async abort(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#exited && !this.#finished) {
      this.#post({ type: 'abort' });
      // Wait for the worker to close the file, unless it is gone or stuck.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ABORT_WAIT_MS);
      });
      const closed = (async () => {
        while (!this.#aborted && !this.#exited) await this.#changed.promise;
      })();
      await Promise.race([closed, stuck]);
      clearTimeout(timer);
    }
    this.#aborted = true;
    await this.#worker.terminate();
  }

  #onMessage(message: FromEncodeWorker): void {
    if (message.type === 'taken') this.#inFlight--;
    else if (message.type === 'written') {
      this.#hash.update(message.chunk);
      this.#hashed += message.chunk.byteLength;
    } else if (message.type === 'finished') {
      if (message.bytes !== this.#hashed) {
        this.#fail(
          new Error(`the encoding worker wrote ${message.bytes} bytes and reported ${this.#hashed}`),
        );
        return;
      }
      this.#finished = { rows: this.#rows, bytes: message.bytes, sha256: this.#hash.digest('hex') };
    } else if (message.type === 'aborted') this.#aborted = true;
    else {
      const error = new Error(message.message) as NodeJS.ErrnoException;
      error.name = message.name;
      if (message.code !== undefined) error.code = message.code;
      this.#fail(error);
    }
    this.#notify();
  }

  #fail(error: Error): void {
    this.#failure ??= { error };
    this.#notify();
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = signalled();
    changed.resolve();
  }

  #post(message: ToEncodeWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
