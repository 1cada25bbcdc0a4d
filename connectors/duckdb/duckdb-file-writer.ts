import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { commitFile, removeQuietly, stagedPathFor, throwIfAborted } from '../../src/index.js';
import { loadBatches } from './arrow-to-duckdb.js';
import { openDuckDB } from './driver.js';
import { queryFailure } from './errors.js';
import { DEFAULT_PARQUET_COMPRESSION, type ParquetOutputConfig, ParquetSink } from './parquet-sink.js';

export interface DuckDBTableInput {
  name: string;
  schema: Schema;
  /** The table's batches, or a function returning them (called once). */
  batches: AsyncIterable<RecordBatch> | ((signal?: AbortSignal) => AsyncIterable<RecordBatch>);
}

/**
 * Writes a DuckDB database file holding `tables`, atomically: it is built under a staged name
 * and renamed into place, so a reader never sees a half-written database.
 *
 * @example
 * await writeDuckDBDatabase('fixtures/demo.duckdb', [{ name: 'customers', schema, batches }]);
 */
export async function writeDuckDBDatabase(
  path: string,
  tables: Iterable<DuckDBTableInput> | AsyncIterable<DuckDBTableInput>,
  signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  const finalPath = resolve(path);
  await mkdir(dirname(finalPath), { recursive: true });
  const staged = stagedPathFor(finalPath, `${process.pid}-${randomUUID()}`);
  try {
    const db = await openDuckDB(staged, { threads: '1', memory_limit: '512MB' });
    try {
      const session = await db.connect();
      try {
        for await (const table of tables) {
          throwIfAborted(signal);
          try {
            const batches = typeof table.batches === 'function' ? table.batches(signal) : table.batches;
            await loadBatches(session, table.name, table.schema, batches, signal);
          } catch (err) {
            throw queryFailure(err, `table \`${table.name}\` of \`${finalPath}\``, signal, 'SINK_FAILED');
          }
        }
        await session.run('CHECKPOINT');
      } finally {
        session.close();
      }
    } finally {
      db.close();
    }
    await removeQuietly(`${staged}.wal`);
    await commitFile(staged, finalPath);
  } catch (err) {
    await removeQuietly(staged);
    await removeQuietly(`${staged}.wal`);
    throw err;
  }
}

export interface WriteParquetOptions {
  compression?: ParquetOutputConfig['compression'];
  rowGroupRows?: number;
  /** Directory for the private work database; defaults to the output's directory. */
  workDir?: string;
  signal?: AbortSignal;
}

/** Writes `batches` to a Parquet file atomically; returns the row count. */
export async function writeParquetFile(
  path: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  options: WriteParquetOptions = {},
): Promise<number> {
  const finalPath = resolve(path);
  const signal = options.signal ?? new AbortController().signal;
  const sink = new ParquetSink({
    path: finalPath,
    runId: `${process.pid}-${randomUUID()}`,
    workDir: options.workDir ?? dirname(finalPath),
    compression: options.compression ?? DEFAULT_PARQUET_COMPRESSION,
    rowGroupRows: options.rowGroupRows ?? 122880,
  });
  try {
    await sink.open(schema, signal);
    for await (const batch of batches) await sink.write(batch, signal);
    const [file] = await sink.finish(signal);
    await sink.commit();
    return file?.rows ?? 0;
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
