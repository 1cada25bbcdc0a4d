import { parse } from '@libpg-query/parser';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { analyzeSql } from '../guard/analyze-sql.js';
import { applyRowFilters } from './row-filter.js';
import { applyRowLimit } from './row-limit.js';

const US = [{ relation: 'main.customers', predicate: "country = 'US'" }];

/** Every read of `customers` in the (re-parsed) SQL, with the alias it is read under. */
async function customerReads(sql: string): Promise<{ alias: string | undefined; where: string }[]> {
  const reads: { alias: string | undefined; where: string }[] = [];
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, where);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const select = record.SelectStmt as Record<string, unknown> | undefined;
    const here = select?.whereClause === undefined ? where : JSON.stringify(select.whereClause);
    const rangeVar = record.RangeVar as { relname?: string; alias?: { aliasname?: string } } | undefined;
    if (rangeVar?.relname?.toLowerCase() === 'customers')
      reads.push({ alias: rangeVar.alias?.aliasname, where: here });
    for (const value of Object.values(record)) visit(value, select === undefined ? where : here);
  };
  visit(await parse(sql), '');
  return reads;
}

async function expectEveryReadFiltered(sql: string, expectedReads: number) {
  const rewritten = await applyRowFilters(sql, US);
  const reads = await customerReads(rewritten);
  expect(reads).toHaveLength(expectedReads);
  for (const read of reads) {
    expect(read.alias).toBe('sluice_row_filter');
    expect(read.where).toContain('"sval":"US"');
    expect(read.where).toContain('"sval":"sluice_row_filter"');
  }
  const guard = await analyzeSql(rewritten);
  expect(guard.verdict).toBe('allow');
  return rewritten;
}

describe('applyRowFilters', () => {
  it('wraps a plain read in a filtered subquery under the table’s own name', async () => {
    const sql = await expectEveryReadFiltered('SELECT id, email FROM customers', 1);
    expect(sql).toBe(
      "SELECT id, email FROM (SELECT * FROM customers sluice_row_filter WHERE sluice_row_filter.country = 'US') customers",
    );
  });

  it('keeps the alias, including column aliases', async () => {
    const sql = await expectEveryReadFiltered('SELECT c.a FROM customers AS c(a, b)', 1);
    expect(sql).toContain(') c(a, b)');
  });

  it('filters reads inside CTEs, joins, subqueries, sublinks and set operations', async () => {
    await expectEveryReadFiltered(
      `WITH recent AS (SELECT id FROM customers WHERE created_at > now() - interval '1 day')
       SELECT o.id FROM orders o
       JOIN customers c ON c.id = o.customer_id
       LEFT JOIN (SELECT id FROM customers) s ON s.id = o.customer_id
       WHERE o.customer_id IN (SELECT id FROM customers)
         AND EXISTS (SELECT 1 FROM recent)
       UNION ALL
       SELECT id FROM customers`,
      5,
    );
  });

  it('filters reads nested in joins of joins and in LATERAL subqueries', async () => {
    await expectEveryReadFiltered(
      `SELECT 1 FROM (orders o JOIN (customers c JOIN orders p ON p.customer_id = c.id) ON true)
       CROSS JOIN LATERAL (SELECT c2.id FROM customers c2 WHERE c2.id = o.customer_id) x`,
      2,
    );
  });

  it('cannot be escaped by aliasing the table as another table', async () => {
    const sql = await expectEveryReadFiltered('SELECT orders.email FROM customers AS orders', 1);
    expect(sql).toContain(') orders');
  });

  it('cannot be escaped by qualifying the table or changing its case', async () => {
    await expectEveryReadFiltered(
      'SELECT 1 FROM main.customers, fixtures.main.customers x, "CUSTOMERS" y, Customers z, ONLY customers w',
      5,
    );
  });

  it('filters a CTE that shadows a filtered table’s name too', async () => {
    await expectEveryReadFiltered('WITH customers AS (SELECT * FROM customers) SELECT * FROM customers', 2);
  });

  it('filters a sampled table and keeps the sample', async () => {
    const sql = await expectEveryReadFiltered('SELECT id FROM customers c TABLESAMPLE system (10)', 1);
    expect(sql).toContain('TABLESAMPLE system');
    expect(sql).toContain(') c');
  });

  it('qualifies the predicate’s columns so an outer query cannot supply them', async () => {
    const sql = await applyRowFilters(
      'SELECT (SELECT count(*) FROM customers) FROM (SELECT 1 AS country) o',
      US,
    );
    expect(sql).toContain('sluice_row_filter.country');
  });

  it('ANDs several filters on the same table', async () => {
    const sql = await applyRowFilters('SELECT id FROM customers', [
      ...US,
      { relation: 'customers', predicate: 'id > 10' },
    ]);
    expect(sql).toContain("sluice_row_filter.country = 'US' AND sluice_row_filter.id > 10");
  });

  it('leaves other tables and queries without filtered tables untouched in meaning', async () => {
    expect(await applyRowFilters('SELECT id FROM orders', US)).toBe('SELECT id FROM orders');
    expect(await applyRowFilters('SELECT id FROM orders', [])).toBe('SELECT id FROM orders');
  });

  it('produces SQL that parses again and passes the guard', async () => {
    const sql = await applyRowFilters(
      "SELECT c.id, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email LIKE '%@x.com' GROUP BY c.id ORDER BY 2 DESC LIMIT 5",
      US,
    );
    expect((await analyzeSql(sql)).verdict).toBe('allow');
    expect(await applyRowFilters(sql, [])).toBe(sql);
  });

  it.each([
    ['a second statement', "country = 'US'; DROP TABLE customers"],
    ['a set operation', 'true UNION SELECT 1'],
    ['a clause after the predicate', 'true ORDER BY 1'],
    ['unbalanced parentheses', "true) OR (country = 'GB'"],
    ['a subquery', "country = (SELECT 'US')"],
    ['a qualified column', "customers.country = 'US'"],
    ['a parameter', 'country = $1'],
    ['a function the guard denies', "pg_read_file('/etc/passwd') IS NOT NULL"],
  ])('refuses a predicate with %s', async (_what, predicate) => {
    const err = await applyRowFilters('SELECT id FROM customers', [
      { relation: 'customers', predicate },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('CONFIG_INVALID');
    expect((err as SluiceError).message).toContain('The row filter for `customers` is not usable');
  });

  it('refuses to filter anything but a single SELECT', async () => {
    const err = await applyRowFilters('SELECT 1; SELECT 2', US).catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe('GUARD_DENIED');
  });
});

describe('applyRowLimit', () => {
  it('adds a LIMIT to a query without one, keeping its ORDER BY and names', async () => {
    expect(await applyRowLimit('SELECT id FROM orders ORDER BY id', 10)).toBe(
      'SELECT id FROM orders ORDER BY id LIMIT 10',
    );
  });

  it('limits a set operation as a whole', async () => {
    expect(await applyRowLimit('SELECT 1 UNION SELECT 2', 1)).toBe('SELECT 1 UNION SELECT 2 LIMIT 1');
  });

  it('keeps a smaller constant LIMIT', async () => {
    expect(await applyRowLimit('SELECT id FROM orders LIMIT 5', 10)).toBe('SELECT id FROM orders LIMIT 5');
  });

  it('wraps a query whose LIMIT is larger or not a constant', async () => {
    expect(await applyRowLimit('SELECT id FROM orders LIMIT 50', 10)).toBe(
      'SELECT * FROM (SELECT id FROM orders LIMIT 50) limited LIMIT 10',
    );
    expect(await applyRowLimit('SELECT id FROM orders ORDER BY id FETCH FIRST 5 ROWS WITH TIES', 10)).toMatch(
      /^SELECT \* FROM \(.*\) limited LIMIT 10$/,
    );
  });

  it('writes large limits as numeric constants', async () => {
    const sql = await applyRowLimit('SELECT id FROM orders', 10_000_000_000);
    expect(sql).toBe('SELECT id FROM orders LIMIT 10000000000');
    expect((await analyzeSql(sql)).verdict).toBe('allow');
  });
});
