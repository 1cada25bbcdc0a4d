import { readdir } from 'node:fs/promises';
import type { RecordBatch } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/index.js';
import { DuckDBEngine, duckdbConnection, duckdbConnectionSchema } from './index.js';
import { testContext } from './test-context.js';

let ctx: Awaited<ReturnType<typeof testContext>>;
beforeEach(async () => {
  ctx = await testContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

const signal = () => new AbortController().signal;

function source(name: string, query: string) {
  return duckdbConnection.createSource(
    duckdbConnectionSchema.parse({ type: 'duckdb' }),
    { name, query, batch_rows: 700 },
    ctx,
  );
}

describe('DuckDB work engine', () => {
  it('loads two tables, joins them in SQL and streams the result in batches', async () => {
    const engine = await DuckDBEngine.open({ dir: ctx.tempDir, memoryLimit: '256MB' });
    try {
      const customers = source('customers', "SELECT range AS id, 'c' || range AS name FROM range(3000)");
      const orders = source(
        'orders',
        'SELECT range AS order_id, range % 3000 AS customer_id, (range % 7)::DECIMAL(8,2) AS amount FROM range(9000)',
      );
      for (const s of [customers, orders])
        await engine.load(s.name, await s.describe(signal()), s.read(signal()), signal());
      const sql =
        'SELECT c.id, c.name, count(*) AS orders, sum(o.amount) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY ALL ORDER BY c.id';
      const schema = await engine.describe(sql);
      expect(schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
        'id:Int64',
        'name:Utf8',
        'orders:Int64',
        'total:Decimal[38e+2]',
      ]);
      const batches: RecordBatch[] = [];
      for await (const b of engine.query(sql, 1000, signal())) batches.push(b);
      expect(batches.map((b) => b.numRows)).toEqual([1000, 1000, 1000]);
      expect(batches[2]?.getChild('name')?.get(999)).toBe('c2999');
      expect(batches[0]?.getChild('orders')?.get(5)).toBe(3n);
    } finally {
      await engine.close();
    }
    expect(await readdir(ctx.tempDir)).toEqual([]);
  });

  it('reports a bad select as QUERY_INVALID', async () => {
    const engine = await DuckDBEngine.open({ dir: ctx.tempDir });
    try {
      const err = await engine.describe('SELECT nope FROM missing').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SluiceError);
      expect((err as SluiceError).code).toBe('QUERY_INVALID');
      expect((err as SluiceError).message).toContain('`select:`');
    } finally {
      await engine.close();
      await engine.close();
    }
  });
});
