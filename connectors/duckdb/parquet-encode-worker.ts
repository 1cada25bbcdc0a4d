import type { FileHandle } from 'node:fs/promises';
import type { MessagePort } from 'node:worker_threads';
import type * as ParquetWasm from 'parquet-wasm';
import type {
  createParquetEncoder,
  ParquetEncoder,
  ParquetEncoderOptions,
  WrittenFile,
} from './parquet-encoder.js';

/** Messages to the encoding worker, in order: `start`, any `batch`es, then `finish` or `abort`. */
export type ToEncodeWorker =
  | { type: 'start'; file: FileHandle; options: ParquetEncoderOptions }
  | { type: 'batch'; ipc: Uint8Array }
  | { type: 'finish'; emptyIpc: Uint8Array }
  | { type: 'abort' };

/** Messages from the encoding worker: `taken` once per batch, then `finished`, `aborted` or `failed`. */
export type FromEncodeWorker =
  | { type: 'taken' }
  | { type: 'written'; chunk: Uint8Array }
  | { type: 'finished'; bytes: number }
  | { type: 'aborted' }
  | { type: 'failed'; message: string; name: string; code?: string };

/**
 * The worker's body (`wrap` wraps the file, e.g. to pass each written chunk on): handles messages one at a time, in order, with `createParquetEncoder`; after
 * the first failure it reports it and ignores everything but `abort`, which is handled at once.
 * Self-contained like the encoder: the worker runs this function's source text.
 */
export function encodeWorkerMain(
  port: MessagePort,
  pw: typeof ParquetWasm,
  createEncoder: typeof createParquetEncoder,
  wrap: (file: FileHandle) => WrittenFile,
): void {
  let encoder: ParquetEncoder | undefined;
  let file: WrittenFile | undefined;
  let failed = false;
  let queue: Promise<void> = Promise.resolve();
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    const e = err as { message?: unknown; name?: unknown; code?: unknown };
    port.postMessage({
      type: 'failed',
      message: typeof e?.message === 'string' ? e.message : String(err),
      name: typeof e?.name === 'string' ? e.name : 'Error',
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    } satisfies FromEncodeWorker);
  };
  const handle = async (message: ToEncodeWorker) => {
    if (failed || message.type === 'abort') return;
    try {
      if (message.type === 'start') {
        try {
          file = wrap(message.file);
          encoder = createEncoder(pw, file, message.options);
        } catch (err) {
          await message.file.close().catch(() => {});
          throw err;
        }
      } else if (!encoder) throw new Error('the encoding worker got a batch before its file');
      else if (message.type === 'batch') {
        await encoder.write(message.ipc);
        port.postMessage({ type: 'taken' } satisfies FromEncodeWorker);
      } else {
        await encoder.finish(message.emptyIpc);
        port.postMessage({
          type: 'finished',
          bytes: (file as WrittenFile).bytes,
        } satisfies FromEncodeWorker);
      }
    } catch (err) {
      fail(err);
    }
  };
  port.on('message', (message: ToEncodeWorker) => {
    if (message.type === 'abort') {
      // At once, not behind queued batches: aborting the encoder also wakes a write that waits.
      failed = true;
      void Promise.resolve(encoder?.abort())
        .catch(() => {})
        .then(() => port.postMessage({ type: 'aborted' } satisfies FromEncodeWorker));
      return;
    }
    queue = queue.then(() => handle(message));
  });
}
