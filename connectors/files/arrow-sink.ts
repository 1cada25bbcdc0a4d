import { resolve } from 'node:path';
import {
  AsyncByteQueue,
  type RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type Schema,
} from 'apache-arrow';
import {
  type ComponentContext,
  type OutputDefinition,
  type Sink,
  SluiceError,
  type StagedFile,
  throwIfAborted,
} from '../../src/index.js';
import { type ArrowOutputConfig, arrowConfigSchema } from './config.js';
import { StagedFileWriter } from './staged-file.js';

/** Collects what the Arrow writer emits so the sink can hand it to the file with backpressure. */
class ChunkCollector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];

  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }

  override close(): void {}

  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

/** Writes Arrow IPC (file or stream format) batch by batch to a staged file. */
export class ArrowFileSink implements Sink {
  readonly #file: StagedFileWriter;
  readonly #ipc: 'file' | 'stream';
  #writer: RecordBatchFileWriter | RecordBatchStreamWriter | undefined;
  readonly #collector = new ChunkCollector();
  #rows = 0;

  constructor(path: string, runId: string, ipc: 'file' | 'stream') {
    this.#file = new StagedFileWriter(path, runId);
    this.#ipc = ipc;
  }

  async open(schema: Schema, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.#file.open();
    const writer = this.#ipc === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
    writer.reset(this.#collector, schema);
    this.#writer = writer;
    await this.#drain();
  }

  async write(batch: RecordBatch, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (!this.#writer) throw new SluiceError('INTERNAL', `Write to \`${this.#file.path}\` before open.`);
    this.#writer.write(batch);
    this.#rows += batch.numRows;
    await this.#drain();
  }

  async finish(signal: AbortSignal): Promise<StagedFile[]> {
    throwIfAborted(signal);
    if (!this.#writer) throw new SluiceError('INTERNAL', `Finish of \`${this.#file.path}\` before open.`);
    this.#writer.finish();
    await this.#drain();
    return [await this.#file.finish(this.#rows)];
  }

  commit(): Promise<void> {
    return this.#file.commit();
  }

  abort(): Promise<void> {
    this.#writer = undefined;
    return this.#file.abort();
  }

  async #drain(): Promise<void> {
    for (const chunk of this.#collector.take()) await this.#file.write(chunk);
  }
}

/** `outputs[]` entry with `format: arrow`. */
export const arrowOutput: OutputDefinition<ArrowOutputConfig> = {
  kind: 'output',
  type: 'arrow',
  description: 'Apache Arrow IPC, file (random access) or stream format; types kept exactly.',
  configSchema: arrowConfigSchema,
  create(config: ArrowOutputConfig, ctx: ComponentContext): Sink {
    return new ArrowFileSink(resolve(ctx.baseDir, config.path), ctx.runId, config.ipc);
  },
};
