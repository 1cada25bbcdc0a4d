import { RecordBatchStreamWriter, type Schema } from 'apache-arrow';
import type { ArrayBufferViewInput } from 'apache-arrow/util/buffer';

/**
 * An Arrow IPC stream writer that hands its bytes to the caller after each message instead of
 * queueing them, so the caller can write them to a socket and wait for `drain` before encoding the
 * next batch: memory stays bounded by one batch however slow the client is.
 */
export class IpcChunkWriter extends RecordBatchStreamWriter {
  #chunks: Uint8Array[] = [];

  protected override _write(chunk: ArrayBufferViewInput): this {
    if (this._started && chunk !== null && chunk !== undefined && typeof chunk !== 'string') {
      const view = chunk as ArrayBufferView;
      if (view.byteLength > 0) {
        this.#chunks.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
        this._position += view.byteLength;
      }
    }
    return this;
  }

  /** Starts the stream: the schema message. */
  begin(schema: Schema): this {
    this.reset(undefined, schema);
    return this;
  }

  /** The bytes encoded since the last call. */
  take(): Uint8Array[] {
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }
}

/** The schema alone as an Arrow IPC stream (schema message and end-of-stream marker). */
export function encodeSchema(schema: Schema): Buffer {
  const writer = new IpcChunkWriter().begin(schema);
  writer.finish();
  return Buffer.concat(writer.take());
}
