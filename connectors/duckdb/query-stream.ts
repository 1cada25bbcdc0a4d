import type { RecordBatch, Schema } from 'apache-arrow';
import { throwIfAborted } from '../../src/index.js';
import { BatchAssembler } from './batch-assembler.js';
import type { DuckDBSession } from './driver.js';
import { queryFailure } from './errors.js';
import { arrowSchemaFor } from './types.js';

export interface QueryStreamOptions {
  sql: string;
  batchRows: number;
  /** How errors name the query's owner, e.g. "source `customers`". */
  what: string;
  signal: AbortSignal;
  /** Schema from `describe`, when already known; otherwise derived from the result. */
  schema?: Schema;
}

/**
 * Streams a query on an open session as Arrow record batches of exactly `batchRows` rows, pulling
 * one DuckDB chunk at a time. Aborting the signal interrupts the running query.
 */
export async function* streamQuery(
  session: DuckDBSession,
  options: QueryStreamOptions,
): AsyncGenerator<RecordBatch> {
  const { signal, what } = options;
  throwIfAborted(signal);
  const onAbort = (): void => session.interrupt();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let stream: Awaited<ReturnType<DuckDBSession['stream']>>;
    try {
      stream = await session.stream(options.sql);
    } catch (err) {
      throw queryFailure(err, what, signal);
    }
    const schema = options.schema ?? arrowSchemaFor(stream.columns, what);
    const assembler = new BatchAssembler(schema, options.batchRows);
    for (;;) {
      throwIfAborted(signal);
      let chunk: Awaited<ReturnType<typeof stream.next>>;
      try {
        chunk = await stream.next();
      } catch (err) {
        throw queryFailure(err, what, signal);
      }
      if (chunk === null) break;
      for (const batch of assembler.push(chunk)) {
        yield batch;
        throwIfAborted(signal);
      }
    }
    const last = assembler.finish();
    if (last) yield last;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
