import type { RecordBatch, Schema } from 'apache-arrow';
import { type Sink, SluiceError, type StagedFile, throwIfAborted } from '../../src/index.js';
import { StagedFileWriter } from './staged-file.js';

/** Turns a schema into a batch encoder: the text of every row of a batch, line ends included. */
export interface TextEncoding {
  /** Text written once before the first batch (e.g. a CSV header). */
  header(schema: Schema): string;
  /** Compiles the per-column formatters; throws SCHEMA_MISMATCH for a type it cannot write. */
  compile(schema: Schema): (batch: RecordBatch) => string;
}

/** A sink for line-oriented text formats: one `write` per batch, awaiting backpressure. */
export class TextFileSink implements Sink {
  readonly #file: StagedFileWriter;
  readonly #encoding: TextEncoding;
  #encode: ((batch: RecordBatch) => string) | undefined;
  #rows = 0;

  constructor(path: string, runId: string, encoding: TextEncoding) {
    this.#file = new StagedFileWriter(path, runId);
    this.#encoding = encoding;
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    this.#encode = this.#encoding.compile(schema);
    await this.#file.open();
    const header = this.#encoding.header(schema);
    if (header) await this.#file.write(header);
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (!this.#encode) throw new SluiceError('INTERNAL', `Write to \`${this.#file.path}\` before open.`);
    if (batch.numRows === 0) return;
    await this.#file.write(this.#encode(batch));
    this.#rows += batch.numRows;
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    throwIfAborted(signal);
    return [await this.#file.finish(this.#rows)];
  }

  commit(): Promise<void> {
    return this.#file.commit();
  }

  abort(): Promise<void> {
    return this.#file.abort();
  }
}
