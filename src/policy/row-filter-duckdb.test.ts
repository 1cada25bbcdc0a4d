import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeSql } from '../guard/analyze-sql.js';
import { applyRowFilters } from './row-filter.js';
import { applyRowLimit } from './row-limit.js';

// Rows outside the filter carry the marker in every column, so any leak shows in any column read.
const US = [{ relation: 'customers', predicate: "country = 'US'" }];

let instance: DuckDBInstance;
let db: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  await db.run(`CREATE TABLE customers AS
    SELECT range AS id, CASE WHEN range % 3 = 0 THEN 'GB' ELSE 'US' END AS country,
           CASE WHEN range % 3 = 0 THEN 'LEAK' ELSE 'ok' END AS marker
    FROM range(300)`);
  await db.run('CREATE TABLE orders AS SELECT range AS id, range % 300 AS customer_id FROM range(900)');
});

afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

async function filtered(sql: string): Promise<Record<string, unknown>[]> {
  const rewritten = await applyRowFilters(sql, US);
  expect((await analyzeSql(rewritten)).verdict).toBe('allow');
  return rows(rewritten);
}

describe('row filters on DuckDB', () => {
  it('the unfiltered queries do see the rows outside the filter (the data is set up right)', async () => {
    expect(await rows("SELECT count(*)::INT AS n FROM customers WHERE marker = 'LEAK'")).toEqual([
      { n: 100 },
    ]);
  });

  it('a plain query returns only rows inside the filter', async () => {
    const result = await filtered('SELECT id, country, marker FROM customers');
    expect(result).toHaveLength(200);
    expect(result.every((r) => r.country === 'US' && r.marker === 'ok')).toBe(true);
  });

  it('a nested query (CTE, join, subquery, union) never sees a row outside the filter', async () => {
    const result = await filtered(`
      WITH c AS (SELECT id, marker FROM customers)
      SELECT o.id AS oid, c.marker FROM orders o JOIN c ON c.id = o.customer_id
      WHERE o.customer_id IN (SELECT id FROM main.customers AS orders)
      UNION ALL
      SELECT id, marker FROM memory.main.customers
      UNION ALL
      SELECT x.id, x.marker FROM (SELECT * FROM "CUSTOMERS") x`);
    expect(result).toHaveLength(600 + 200 + 200);
    expect(result.some((r) => r.marker === 'LEAK')).toBe(false);
  });

  it('aggregates are computed over the filtered rows only', async () => {
    expect(
      await filtered(
        "SELECT count(*)::INT AS n, count(*) FILTER (WHERE marker = 'LEAK')::INT AS leaked FROM customers",
      ),
    ).toEqual([{ n: 200, leaked: 0 }]);
  });

  it('a row limit caps the rows returned, on top of the filter', async () => {
    const sql = await applyRowLimit(
      await applyRowFilters('SELECT id, marker FROM customers ORDER BY id', US),
      7,
    );
    const result = await rows(sql);
    expect(result.map((r) => Number(r.id))).toEqual([1, 2, 4, 5, 7, 8, 10]);
    const wrapped = await applyRowLimit('SELECT id FROM customers ORDER BY id LIMIT 50', 3);
    expect(await rows(wrapped)).toHaveLength(3);
  });
});
