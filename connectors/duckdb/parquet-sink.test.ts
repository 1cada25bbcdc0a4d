import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDuckDB } from './driver.js';
import {
  duckdbConnection,
  duckdbConnectionSchema,
  parquetConfigSchema,
  parquetOutput,
  writeDuckDBDatabase,
  writeParquetFile,
} from './index.js';
import { testContext } from './test-context.js';

let ctx: Awaited<ReturnType<typeof testContext>>;
beforeEach(async () => {
  ctx = await testContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

const signal = () => new AbortController().signal;

const SAMPLE = `SELECT range::INTEGER AS id,
  CASE WHEN range % 4 = 1 THEN NULL ELSE 'name ' || range END AS name,
  CASE WHEN range % 5 = 2 THEN NULL ELSE range * 1000000000000 END AS big,
  (range / 7)::DECIMAL(12,2) AS price,
  range % 2 = 0 AS even,
  DATE '2020-01-01' + range::INTEGER AS day,
  TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds(range) AS at,
  TIMESTAMP '2020-01-01' + to_seconds(range) AS local_at,
  CASE WHEN range % 3 = 0 THEN NULL ELSE [range, NULL] END AS tags,
  '\\xAB'::BLOB AS raw,
  TIME '01:02:03' AS t
  FROM range(5000)`;

async function sampleBatches(
  batchRows = 1200,
): Promise<{ schema: import('apache-arrow').Schema; batches: RecordBatch[] }> {
  const source = duckdbConnection.createSource(
    duckdbConnectionSchema.parse({ type: 'duckdb' }),
    { name: 'sample', query: SAMPLE, batch_rows: batchRows },
    ctx,
  );
  const schema = await source.describe(signal());
  const batches: RecordBatch[] = [];
  for await (const b of source.read(signal())) batches.push(b);
  return { schema, batches };
}

async function duckRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDuckDB(':memory:');
  const s = await db.connect();
  try {
    return await s.rows(sql);
  } finally {
    s.close();
    db.close();
  }
}

describe('Parquet output', () => {
  it('writes rows that read back with read_parquet equal to the input, nulls included', async () => {
    const { schema, batches } = await sampleBatches();
    const sink = parquetOutput.create(
      parquetConfigSchema.parse({ format: 'parquet', path: 'out/deep/a.parquet' }),
      ctx,
    );
    await sink.open(schema, signal());
    for (const b of batches) await sink.write(b, signal());
    const [staged] = await sink.finish(signal());
    expect(staged?.rows).toBe(5000);
    expect(await readdir(join(ctx.baseDir, 'out/deep'))).toEqual(['.a.parquet.test-run.partial']);
    await sink.commit();
    expect(await readdir(join(ctx.baseDir, 'out/deep'))).toEqual(['a.parquet']);
    const path = join(ctx.baseDir, 'out/deep/a.parquet');
    const diff = await duckRows(
      `SELECT count(*)::INTEGER AS n FROM ((FROM read_parquet('${path}') EXCEPT ALL ${SAMPLE}) UNION ALL (${SAMPLE} EXCEPT ALL FROM read_parquet('${path}')))`,
    );
    expect(diff).toEqual([{ n: 0 }]);
    const types = await duckRows(
      `SELECT column_name, column_type FROM (DESCRIBE FROM read_parquet('${path}'))`,
    );
    expect(types.map((r) => `${r.column_name} ${r.column_type}`)).toEqual([
      'id INTEGER',
      'name VARCHAR',
      'big BIGINT',
      'price DECIMAL(12,2)',
      'even BOOLEAN',
      'day DATE',
      'at TIMESTAMP WITH TIME ZONE',
      'local_at TIMESTAMP',
      'tags BIGINT[]',
      'raw BLOB',
      't TIME',
    ]);
    const order = await duckRows(
      `SELECT bool_and(id = rn - 1) AS ordered FROM (SELECT id, row_number() OVER () AS rn FROM read_parquet('${path}'))`,
    );
    expect(order).toEqual([{ ordered: true }]);
  });

  it('produces byte-identical files from the same batches', async () => {
    const { schema, batches } = await sampleBatches();
    const a = join(ctx.baseDir, 'a.parquet');
    const b = join(ctx.baseDir, 'b.parquet');
    await writeParquetFile(a, schema, batches);
    await writeParquetFile(b, schema, batches, { workDir: ctx.tempDir });
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });

  it('writes a file with the columns and no rows when no batch arrives', async () => {
    const { schema } = await sampleBatches();
    const sink = parquetOutput.create(
      parquetConfigSchema.parse({ format: 'parquet', path: 'empty.parquet' }),
      ctx,
    );
    await sink.open(schema, signal());
    const [staged] = await sink.finish(signal());
    expect(staged?.rows).toBe(0);
    await sink.commit();
    const path = join(ctx.baseDir, 'empty.parquet');
    expect(await duckRows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${path}')`)).toEqual([{ n: 0 }]);
    const types = await duckRows(`SELECT column_name FROM (DESCRIBE FROM read_parquet('${path}'))`);
    expect(types.map((r) => r.column_name)).toEqual(schema.fields.map((f) => f.name));
  });

  it('abort removes everything staged and can be called twice', async () => {
    const { schema, batches } = await sampleBatches();
    const sink = parquetOutput.create(
      parquetConfigSchema.parse({ format: 'parquet', path: 'out/a.parquet', compression: 'snappy' }),
      ctx,
    );
    await sink.open(schema, signal());
    await sink.write(batches[0] as RecordBatch, signal());
    await sink.finish(signal());
    await sink.abort();
    await sink.abort();
    expect(await readdir(join(ctx.baseDir, 'out'))).toEqual([]);
    // The temp dir may never have been created: nothing was staged there.
    expect(await readdir(ctx.tempDir).catch(() => [])).toEqual([]);
  });
});

describe('writeDuckDBDatabase', () => {
  it('creates a database file holding the tables, readable by a duckdb source', async () => {
    const { schema, batches } = await sampleBatches();
    const path = join(ctx.baseDir, 'db/fixture.duckdb');
    async function* gen() {
      yield* batches;
    }
    await writeDuckDBDatabase(path, [
      { name: 'sample', schema, batches: gen() },
      { name: 'again', schema, batches: () => gen() },
    ]);
    expect(await readdir(join(ctx.baseDir, 'db'))).toEqual(['fixture.duckdb']);
    const source = duckdbConnection.createSource(
      duckdbConnectionSchema.parse({ type: 'duckdb', path: 'db/fixture.duckdb' }),
      {
        name: 'check',
        query: 'SELECT (SELECT count(*) FROM sample) + (SELECT count(*) FROM again) AS n',
        batch_rows: 10,
      },
      ctx,
    );
    for await (const b of source.read(signal())) expect(b.getChild('n')?.get(0)).toBe(10000n);
  });
});
