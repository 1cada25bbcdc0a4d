import type { RecordBatch, Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Sink, StagedFile } from '../core/sink.js';
import { ShardedWriter, shardFileName } from './sharded-writer.js';
import { ticketBatch } from './test-batches.js';

/** A sink that only counts rows, to observe how rows are cut into shards. */
function countingSinks(): { create: (path: string) => Sink; rows: number[] } {
  const rows: number[] = [];
  const create = (path: string): Sink => {
    const index = rows.push(0) - 1;
    return {
      open: async (_s: Schema) => undefined,
      write: async (b: RecordBatch) => {
        rows[index]! += b.numRows;
      },
      finish: async (): Promise<StagedFile[]> => [{ tempPath: `${path}.partial`, path, rows: rows[index]! }],
      commit: async () => undefined,
      abort: async () => undefined,
    };
  };
  return { create, rows };
}

const signal = new AbortController().signal;

describe('ShardedWriter', () => {
  it('cuts shards at max_rows_per_file across batch boundaries and names them -of-N at the end', async () => {
    const sinks = countingSinks();
    const w = new ShardedWriter({
      split: 'train',
      dataDir: '/d/data',
      ext: 'parquet',
      create: sinks.create,
      maxRows: 700,
    });
    await w.open(ticketBatch(0, 1).schema, signal);
    for (let i = 0; i < 4; i++) await w.write(ticketBatch(i * 500, 500), signal);
    const files = await w.finish(signal);
    expect(sinks.rows).toEqual([700, 700, 600]);
    expect(files.map((f) => f.path)).toEqual([
      '/d/data/train-00000-of-00003.parquet',
      '/d/data/train-00001-of-00003.parquet',
      '/d/data/train-00002-of-00003.parquet',
    ]);
  });

  it('starts a new shard once max_bytes_per_file of Arrow data went in', async () => {
    const sinks = countingSinks();
    const batch = ticketBatch(0, 1000);
    const w = new ShardedWriter({
      split: 'test',
      dataDir: '/d',
      ext: 'jsonl',
      create: sinks.create,
      maxBytes: 1,
    });
    await w.open(batch.schema, signal);
    await w.write(batch.slice(0, 300), signal);
    await w.write(batch.slice(300, 600), signal);
    await w.finish(signal);
    expect(sinks.rows).toEqual([300, 300]);
  });

  it('writes one empty shard for a split that gets no rows', async () => {
    const sinks = countingSinks();
    const w = new ShardedWriter({ split: 'validation', dataDir: '/d', ext: 'csv', create: sinks.create });
    await w.open(ticketBatch(0, 1).schema, signal);
    expect((await w.finish(signal)).map((f) => f.path)).toEqual(['/d/validation-00000-of-00001.csv']);
    expect(shardFileName('train', 12, 345, 'parquet')).toBe('train-00012-of-00345.parquet');
  });
});
