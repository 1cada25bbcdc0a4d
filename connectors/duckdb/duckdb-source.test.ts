import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RecordBatch } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/index.js';
import { openDuckDB } from './driver.js';
import { duckdbConnection, duckdbConnectionSchema } from './index.js';
import { testContext } from './test-context.js';

let ctx: Awaited<ReturnType<typeof testContext>>;
let dbPath: string;

beforeEach(async () => {
  ctx = await testContext();
  dbPath = join(ctx.baseDir, 'data.duckdb');
  const db = await openDuckDB(dbPath);
  const s = await db.connect();
  await s.run(`CREATE TABLE numbers AS SELECT range AS id, 'n' || range AS label FROM range(10000)`);
  await s.run(`CREATE SCHEMA sales`);
  await s.run(
    `CREATE TABLE sales."Order Lines" AS SELECT range AS "line id", range * 2 AS qty FROM range(5)`,
  );
  s.close();
  db.close();
});

afterEach(async () => {
  await ctx.cleanup();
});

function source(
  spec: { query?: string; table?: string; columns?: string[]; batch_rows?: number },
  path = 'data.duckdb',
) {
  const config = duckdbConnectionSchema.parse({ type: 'duckdb', path });
  return duckdbConnection.createSource(config, { name: 'nums', batch_rows: 3000, ...spec }, ctx);
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function caught(fn: () => Promise<unknown>): Promise<SluiceError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError);
    return err as SluiceError;
  }
  throw new Error('expected an error');
}

const signal = () => new AbortController().signal;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Whether another process can open the file read-write. DuckDB allows it within one process, but
 * a process holding any instance of the file keeps a lock that refuses other processes.
 */
async function lockedByThisProcess(path: string): Promise<boolean> {
  // @duckdb/node-api has no way to destroy a streaming result: an abandoned result keeps the
  // instance (and its file lock) until it is garbage-collected, so collect before probing.
  collectGarbage();
  await new Promise((r) => setTimeout(r, 10));
  collectGarbage();
  const script = `import { DuckDBInstance } from '@duckdb/node-api'; (await DuckDBInstance.create(${JSON.stringify(path)})).closeSync();`;
  return promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
  }).then(
    () => false,
    () => true,
  );
}

describe('DuckDB source', () => {
  it('yields batches of exactly batch_rows rows, the last one smaller', async () => {
    const batches = await collect(source({ query: 'SELECT * FROM numbers ORDER BY id' }).read(signal()));
    expect(batches.map((b) => b.numRows)).toEqual([3000, 3000, 3000, 1000]);
    const ids = batches.flatMap((b) => Array.from(b.getChild('id')?.toArray() as BigInt64Array));
    expect(ids[0]).toBe(0n);
    expect(ids[9999]).toBe(9999n);
    expect(batches[3]?.getChild('label')?.get(999)).toBe('n9999');
  });

  it('builds the query from a dotted table name and columns, quoting each part', async () => {
    const src = source({ table: 'sales.Order Lines', columns: ['line id'] });
    expect(src.query).toBe('SELECT "line id" FROM "sales"."Order Lines"');
    const [batch] = await collect(src.read(signal()));
    expect(batch?.schema.fields.map((f) => f.name)).toEqual(['line id']);
    expect(batch?.numRows).toBe(5);
  });

  it('describes the schema without reading rows', async () => {
    const schema = await source({ table: 'numbers' }).describe(signal());
    expect(schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['id:Int64', 'label:Utf8']);
  });

  it('yields no batch for an empty result', async () => {
    const batches = await collect(source({ query: 'SELECT * FROM numbers WHERE id < 0' }).read(signal()));
    expect(batches).toEqual([]);
  });

  it('releases the database when the consumer stops after the first batch', async () => {
    for await (const batch of source({ table: 'numbers' }).read(signal())) {
      expect(batch.numRows).toBe(3000);
      break;
    }
    expect(await lockedByThisProcess(dbPath)).toBe(false);
  });

  it('holds the database while a read is in progress', async () => {
    const iterator = source({ table: 'numbers' }).read(signal())[Symbol.asyncIterator]();
    await iterator.next();
    expect(await lockedByThisProcess(dbPath)).toBe(true);
    await iterator.return?.();
    expect(await lockedByThisProcess(dbPath)).toBe(false);
  });

  it('releases the database when the consumer throws', async () => {
    await expect(async () => {
      for await (const _ of source({ table: 'numbers' }).read(signal())) throw new Error('consumer failed');
    }).rejects.toThrow('consumer failed');
    expect(await lockedByThisProcess(dbPath)).toBe(false);
  });

  it('fails with CANCELLED when aborted in the middle', async () => {
    const controller = new AbortController();
    const err = await caught(async () => {
      for await (const _ of source({ table: 'numbers', batch_rows: 1000 }).read(controller.signal)) {
        controller.abort();
      }
    });
    expect(err.code).toBe('CANCELLED');
    expect(await lockedByThisProcess(dbPath)).toBe(false);
  });

  it('reports bad SQL as QUERY_INVALID naming the source', async () => {
    for (const query of ['SELECT nope FROM numbers', 'SELECT * FROM missing_table', 'SELEC 1']) {
      const err = await caught(() => collect(source({ query }).read(signal())));
      expect(err.code).toBe('QUERY_INVALID');
      expect(err.message).toContain('source `nums`');
      const described = await caught(() => source({ query }).describe(signal()));
      expect(described.code).toBe('QUERY_INVALID');
    }
  });

  it('reports a failure while reading as SOURCE_FAILED without the row value', async () => {
    const err = await caught(() =>
      collect(
        source({ query: "SELECT CAST(label || 'secret-value' AS INTEGER) FROM numbers" }).read(signal()),
      ),
    );
    expect(err.code).toBe('SOURCE_FAILED');
    expect(err.message).not.toContain('secret-value');
  });

  it('fails at describe on a column type it cannot map, naming column and type', async () => {
    const err = await caught(() => source({ query: 'SELECT INTERVAL 1 DAY AS wait' }).describe(signal()));
    expect(err.code).toBe('SCHEMA_MISMATCH');
    expect(err.message).toContain('`wait`');
    expect(err.message).toContain('INTERVAL');
  });

  it('fails with CONFIG_NOT_FOUND naming the path for a read-only file that does not exist', async () => {
    const err = await caught(() => source({ table: 'numbers' }, 'missing.duckdb').describe(signal()));
    expect(err.code).toBe('CONFIG_NOT_FOUND');
    expect(err.message).toContain(join(ctx.baseDir, 'missing.duckdb'));
  });

  it('runs queries on an in-memory connection', async () => {
    const batches = await collect(
      source({ query: 'SELECT range AS i FROM range(7)' }, ':memory:').read(signal()),
    );
    expect(batches.map((b) => b.numRows)).toEqual([7]);
  });
});
