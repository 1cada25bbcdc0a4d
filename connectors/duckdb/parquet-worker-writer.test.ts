import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Field,
  Int32,
  type RecordBatch,
  Schema,
  Table,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParquetWasmWriter } from './parquet-wasm-writer.js';
import { ParquetWorkerWriter, warmParquetWorker } from './parquet-worker-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-worker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Several batches (one empty) with nulls, more rows than a row group: the file has many groups.
function batches(): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (const [from, rows] of [
    [0, 700],
    [700, 1300],
    [2000, 5],
  ] as const) {
    const ids = Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? null : from + i));
    const names = Array.from({ length: rows }, (_, i) => (i % 5 === 1 ? null : `name ${from + i} ✓`));
    const table = new Table({
      id: vectorFromArray(ids, new Int32()),
      name: vectorFromArray(names, new Utf8()),
    });
    out.push(...table.batches);
  }
  out.splice(1, 0, (out[0] as RecordBatch).slice(0, 0));
  return out;
}

const options = { compression: 'zstd', rowGroupRows: 512 } as const;

describe('Parquet encoding in a worker thread', () => {
  it('writes the same bytes as encoding on the calling thread', async () => {
    const input = batches();
    const schema = input[0]?.schema as Schema;
    const here = await ParquetWasmWriter.open(join(dir, 'here.parquet'), schema, options);
    for (const b of input) await here.write(b);
    const worker = await ParquetWorkerWriter.open(join(dir, 'worker.parquet'), schema, {
      ...options,
      maxInFlight: 1,
    });
    for (const b of input) await worker.write(b);
    const finished = await worker.finish();
    expect(finished).toEqual(await here.finish());
    expect(worker.rows).toBe(2005);
    const [a, b] = await Promise.all([
      readFile(join(dir, 'here.parquet')),
      readFile(join(dir, 'worker.parquet')),
    ]);
    expect(a.length).toBeGreaterThan(1000);
    expect(b.equals(a)).toBe(true);
    // The digest computed while writing is the file's.
    expect(finished).toEqual({
      rows: 2005,
      bytes: b.length,
      sha256: createHash('sha256').update(b).digest('hex'),
    });
  });

  it('writes the same bytes as the calling thread when no batch arrives', async () => {
    const schema = batches()[0]?.schema as Schema;
    const here = await ParquetWasmWriter.open(join(dir, 'here.parquet'), schema, options);
    await here.finish();
    const worker = await ParquetWorkerWriter.open(join(dir, 'worker.parquet'), schema, options);
    const finished = await worker.finish();
    const [a, b] = await Promise.all([
      readFile(join(dir, 'here.parquet')),
      readFile(join(dir, 'worker.parquet')),
    ]);
    expect(b.equals(a)).toBe(true);
    expect(finished).toEqual({
      rows: 0,
      bytes: b.length,
      sha256: createHash('sha256').update(b).digest('hex'),
    });
  });

  it('writes the same bytes with a worker warmed before it was needed', async () => {
    const input = batches();
    const schema = input[0]?.schema as Schema;
    const here = await ParquetWasmWriter.open(join(dir, 'here.parquet'), schema, options);
    for (const b of input) await here.write(b);
    const expected = await here.finish();
    warmParquetWorker();
    warmParquetWorker(); // one spare at a time
    // Give the spare time to load, so its start-up messages (if any) arrive before a writer takes it.
    await new Promise((r) => setTimeout(r, 300));
    const worker = await ParquetWorkerWriter.open(join(dir, 'worker.parquet'), schema, options);
    for (const b of input) await worker.write(b);
    expect(await worker.finish()).toEqual(expected);
    expect(
      (await readFile(join(dir, 'worker.parquet'))).equals(await readFile(join(dir, 'here.parquet'))),
    ).toBe(true);
  });

  it('does not keep a process alive with a warm worker nobody took', () => {
    const built = resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../dist/connectors/duckdb/parquet-worker-writer.js',
    );
    const started = Date.now();
    // Reports a worker that failed to start: it would not keep the process alive either. Started
    // with --input-type=module, which makes eval'd workers ES modules too.
    const script = `import { Worker } from 'node:worker_threads';
      const emit = Worker.prototype.emit;
      Worker.prototype.emit = function (event, ...args) {
        if (event === 'error' || event === 'exit') console.error('worker ' + event);
        return emit.call(this, event, ...args);
      };
      const { warmParquetWorker } = await import(${JSON.stringify(built)});
      warmParquetWorker();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(child.error).toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('fails at open when the file cannot be created', async () => {
    const schema = batches()[0]?.schema as Schema;
    await expect(
      ParquetWorkerWriter.open(join(dir, 'missing/a.parquet'), schema, options),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('stops in the middle on abort, closing the file so it can be removed', async () => {
    const input = batches();
    const path = join(dir, 'a.parquet');
    const writer = await ParquetWorkerWriter.open(path, input[0]?.schema as Schema, options);
    await writer.write(input[0] as RecordBatch);
    await writer.write(input[2] as RecordBatch);
    await writer.abort();
    await writer.abort();
    expect((await stat(path)).isFile()).toBe(true);
    await rm(path);
  });

  it('reports a batch the encoder rejects as an error of a later call, and still aborts', async () => {
    // The schema says Utf8, the data is Int32: arrow-rs refuses the IPC message.
    const data = tableFromArrays({ id: new Int32Array([1, 2, 3]) });
    const schema = new Schema([new Field('id', new Utf8(), true)]);
    const writer = await ParquetWorkerWriter.open(join(dir, 'a.parquet'), schema, options);
    let failure: unknown;
    try {
      for (let i = 0; i < 4; i++) await writer.write(data.batches[0] as RecordBatch);
      await writer.finish();
    } catch (err) {
      failure = err;
    }
    expect((failure as Error).message).toContain('Buffer count mismatched');
    await writer.abort();
  });
});
