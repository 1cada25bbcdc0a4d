import { describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { analyzeSql } from './analyze-sql.js';
import type { OutputLineage, StatementFacts } from './statement-facts.js';
import { formatColumnSource, formatRelation } from './statement-facts.js';

async function facts(sql: string, options = {}): Promise<StatementFacts> {
  return (await analyzeSql(sql, options)).facts;
}

function relations(f: StatementFacts): string[] {
  return f.relations.map(formatRelation);
}

function columnsOf(f: StatementFacts): Record<string, string[]> {
  return Object.fromEntries(
    f.columns.map((c) => [formatRelation(c.relation), [...(c.star ? ['*'] : []), ...[...c.columns].sort()]]),
  );
}

function lineage(
  f: StatementFacts,
): Record<string, { sources: string[]; derived: boolean; undetermined: boolean }> {
  return Object.fromEntries(
    f.lineage.map((l: OutputLineage) => [
      l.output,
      { sources: l.sources.map(formatColumnSource), derived: l.derived, undetermined: l.undetermined },
    ]),
  );
}

describe('relations read', () => {
  it('keeps schema qualification as written and lists each relation once', async () => {
    const f = await facts(
      'SELECT * FROM crm.customers c JOIN orders o ON o.cid = c.id JOIN crm.customers c2 ON true',
    );
    expect(relations(f)).toEqual(['crm.customers', 'orders']);
  });

  it('resolves CTE names as CTEs, not tables, and lists the tables inside them', async () => {
    const f = await facts(
      'WITH recent AS (SELECT * FROM orders), big AS (SELECT * FROM recent WHERE total > 10) SELECT * FROM big JOIN customers ON true',
    );
    expect(relations(f)).toEqual(['orders', 'customers']);
    expect(f.ctes).toEqual(['recent', 'big']);
  });

  it('treats a schema-qualified name as a table even when a CTE has the same name', async () => {
    const f = await facts('WITH orders AS (SELECT 1 AS id) SELECT * FROM orders, public.orders');
    expect(relations(f)).toEqual(['public.orders']);
  });

  it('finds relations in subqueries, set operations, LATERAL and scalar subqueries in every clause', async () => {
    const f = await facts(`
      SELECT (SELECT max(x) FROM s1) FROM (SELECT id FROM s2) a
      CROSS JOIN LATERAL (SELECT 1 FROM s3 WHERE s3.id = a.id) l
      WHERE a.id IN (SELECT id FROM s4 UNION SELECT id FROM s5)
      GROUP BY (SELECT 1 FROM s6 LIMIT 1)
      HAVING EXISTS (SELECT 1 FROM s7)
      ORDER BY (SELECT 1 FROM s8 LIMIT 1)
      LIMIT (SELECT count(*) FROM s9)`);
    expect(relations(f).sort()).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
  });
});

describe('columns read', () => {
  it('resolves qualified references through aliases, in every clause', async () => {
    const f = await facts(
      'SELECT c.email FROM crm.customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = $1 ORDER BY o.created_at',
    );
    expect(columnsOf(f)).toEqual({
      'crm.customers': ['email', 'id'],
      orders: ['created_at', 'customer_id', 'status'],
    });
  });

  it('attributes unqualified references when only one relation is in scope', async () => {
    const f = await facts('SELECT email, lower(name) FROM customers WHERE age > 30');
    expect(columnsOf(f)).toEqual({ customers: ['age', 'email', 'name'] });
    expect(f.unattributedColumns).toEqual([]);
  });

  it('reports an unqualified reference over two relations as unattributed with both candidates', async () => {
    const f = await facts('SELECT email FROM customers, orders');
    expect(f.unattributedColumns.map((u) => [u.column, u.candidates.map(formatColumnSource)])).toEqual([
      ['email', ['customers.email', 'orders.email']],
    ]);
    expect(lineage(f).email?.undetermined).toBe(true);
  });

  it('records * as a star for catalog expansion', async () => {
    const f = await facts('SELECT *, o.id FROM customers c, orders o');
    expect(columnsOf(f)).toEqual({ customers: ['*'], orders: ['*', 'id'] });
    expect(f.lineage.filter((l) => l.star).map((l) => l.sources.map(formatColumnSource))).toEqual([
      ['customers.*'],
      ['orders.*'],
    ]);
  });

  it('expands * and attributes unqualified columns when the catalog is given', async () => {
    const catalog: Record<string, string[]> = {
      customers: ['id', 'email'],
      orders: ['id', 'customer_id', 'total'],
    };
    const f = await facts('SELECT c.*, total FROM customers c JOIN orders o ON o.customer_id = c.id', {
      columnsOf: (r: { name: string }) => catalog[r.name],
    });
    expect(lineage(f)).toEqual({
      id: { sources: ['customers.id'], derived: false, undetermined: false },
      email: { sources: ['customers.email'], derived: false, undetermined: false },
      total: { sources: ['orders.total'], derived: false, undetermined: false },
    });
    expect(f.unattributedColumns).toEqual([]);
  });

  it('does not count an ORDER BY on an output alias as a read of a same-named column', async () => {
    const f = await facts('SELECT md5(ssn) AS ssn_hash FROM people ORDER BY ssn_hash');
    expect(columnsOf(f)).toEqual({ people: ['ssn'] });
  });
});

describe('functions called', () => {
  it('names functions as PostgreSQL does: unquoted folded to lower case, schema kept', async () => {
    const f = await facts('SELECT Lower(a), PG_CATALOG.UPPER(b), "MixedCase"(c), count(*) FROM t');
    expect(f.functions).toEqual(['lower', 'pg_catalog.upper', 'MixedCase', 'count']);
  });

  it('includes functions in FROM, including ROWS FROM', async () => {
    const f = await facts('SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY[1]))');
    expect(f.functions).toEqual(['generate_series', 'unnest']);
  });
});

describe('output lineage', () => {
  it('lets an alias inherit its source column unchanged', async () => {
    const f = await facts('SELECT c.email AS contact FROM customers c');
    expect(lineage(f).contact).toEqual({ sources: ['customers.email'], derived: false, undetermined: false });
  });

  it('lists both columns of an expression derived from two columns', async () => {
    const f = await facts("SELECT first_name || ' ' || last_name AS full_name FROM people");
    expect(lineage(f).full_name).toEqual({
      sources: ['people.first_name', 'people.last_name'],
      derived: true,
      undetermined: false,
    });
  });

  it('derives count(*) from no column', async () => {
    const f = await facts('SELECT count(*) FROM people');
    expect(lineage(f).count).toEqual({ sources: [], derived: true, undetermined: false });
  });

  it('traces through CTEs and subqueries to the base column', async () => {
    const f = await facts(
      'WITH p AS (SELECT ssn AS s, name FROM hr.people) SELECT x.s AS id_number, upper(x.name) AS n FROM (SELECT * FROM p) x',
    );
    expect(lineage(f)).toEqual({
      id_number: { sources: ['hr.people.ssn'], derived: false, undetermined: false },
      n: { sources: ['hr.people.name'], derived: true, undetermined: false },
    });
  });

  it('unions the sources of each position of a set operation', async () => {
    const f = await facts('SELECT email FROM customers UNION SELECT contact FROM leads');
    expect(lineage(f).email).toEqual({
      sources: ['customers.email', 'leads.contact'],
      derived: false,
      undetermined: false,
    });
  });

  it('takes a scalar subquery’s lineage from its output column, not its filter', async () => {
    const f = await facts(
      'SELECT (SELECT max(o.total) FROM orders o WHERE o.cid = c.id) AS top FROM customers c',
    );
    expect(lineage(f).top?.sources).toEqual(['orders.total']);
    expect(columnsOf(f)).toEqual({ customers: ['id'], orders: ['cid', 'total'] });
  });

  it('marks a whole-row reference as reading every column and the trace as undetermined', async () => {
    const f = await facts('SELECT row_to_json(c) AS doc FROM customers c');
    expect(lineage(f).doc?.undetermined).toBe(true);
    expect(lineage(f).doc?.sources).toContain('customers.*');
    expect(columnsOf(f).customers).toContain('*');
  });

  it('does not let an unqualified column in a subquery hide an outer column it may refer to', async () => {
    const f = await facts('SELECT (SELECT ssn FROM lookup LIMIT 1) AS x FROM people');
    expect(lineage(f).x).toEqual({
      sources: ['lookup.ssn', 'people.ssn'],
      derived: true,
      undetermined: true,
    });
  });

  it('names function-scan columns and traces LATERAL function arguments', async () => {
    const f = await facts('SELECT u.v FROM docs d, LATERAL unnest(d.tags) AS u(v)');
    expect(lineage(f).v).toEqual({ sources: ['docs.tags'], derived: true, undetermined: false });
  });
});

describe('statement facts', () => {
  it('counts statements and names their kinds', async () => {
    const f = await facts('SELECT 1; DELETE FROM t');
    expect(f.statementCount).toBe(2);
    expect(f.statementKinds).toEqual(['SelectStmt', 'DeleteStmt']);
  });

  it('gives the same AST hash whatever the whitespace, comments and keyword case', async () => {
    const a = await facts('SELECT id FROM t WHERE x = 1');
    const b = await facts('select   id\n/* note */ from t where x = 1;');
    const c = await facts('SELECT id FROM t WHERE x = 2');
    expect(a.astHash).toBe(b.astHash);
    expect(a.astHash).not.toBe(c.astHash);
  });
});

describe('SQL that does not parse', () => {
  it('throws QUERY_INVALID with the parser message and position, without echoing the SQL', async () => {
    const sql = "SELECT 'a-private-value' AS v FROM WHERE";
    const error = await analyzeSql(sql).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    const e = error as SluiceError;
    expect(e.code).toBe('QUERY_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('syntax error at or near "WHERE"');
    expect(e.message).toContain('line 1, column 36');
    expect(e.message).not.toContain('a-private-value');
    expect(e.context.position).toBe(36);
  });

  it('reports the line and column of an error on a later line', async () => {
    const error = (await analyzeSql('SELECT 1\nFROM t\nWHERE (').catch((e: unknown) => e)) as SluiceError;
    expect(error.message).toContain('line 3');
  });
});
