import type { CorpusCase } from './corpus-case.js';

/** Ordinary analytical reads: every one must be allowed. */
export const ALLOWED_CORPUS: readonly CorpusCase[] = [
  { name: 'filtered select', sql: "SELECT id, email FROM crm.customers WHERE country = 'DE'" },
  {
    name: 'inner join with aliases',
    sql: 'SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id',
  },
  {
    name: 'left join with COALESCE',
    sql: 'SELECT c.id, COALESCE(sum(o.total), 0) AS spent FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id',
  },
  {
    name: 'CTE chain',
    sql: "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '30 days'), totals AS (SELECT customer_id, sum(total) AS t FROM recent GROUP BY customer_id) SELECT * FROM totals WHERE t > 100",
  },
  {
    name: 'recursive CTE',
    sql: 'WITH RECURSIVE tree(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM categories WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id) SELECT * FROM tree',
  },
  {
    name: 'window functions',
    sql: 'SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY created_at) AS n, lag(total) OVER w AS prev, sum(total) OVER w AS running FROM orders WINDOW w AS (PARTITION BY customer_id ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)',
  },
  {
    name: 'GROUP BY with HAVING',
    sql: 'SELECT country, count(*) AS n FROM customers GROUP BY country HAVING count(*) > 10 ORDER BY n DESC',
  },
  { name: 'UNION ALL', sql: 'SELECT id, email FROM customers UNION ALL SELECT id, email FROM leads' },
  {
    name: 'INTERSECT and EXCEPT',
    sql: '(SELECT id FROM a INTERSECT SELECT id FROM b) EXCEPT SELECT id FROM c',
  },
  { name: 'standalone VALUES', sql: "VALUES (1, 'one'), (2, 'two')" },
  {
    name: 'VALUES joined in FROM',
    sql: "SELECT o.id, s.label FROM orders o JOIN (VALUES ('new', 'New'), ('paid', 'Paid')) AS s(code, label) ON s.code = o.status",
  },
  {
    name: 'scalar subquery in the select list',
    sql: 'SELECT c.id, (SELECT max(o.created_at) FROM orders o WHERE o.customer_id = c.id) AS last_order FROM customers c',
  },
  {
    name: 'EXISTS and IN subqueries',
    sql: 'SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND c.id NOT IN (SELECT customer_id FROM refunds)',
  },
  {
    name: 'date_trunc and intervals',
    sql: "SELECT date_trunc('month', created_at) AS month, count(*) FROM orders WHERE created_at >= date '2024-01-01' + interval '1 month' GROUP BY 1 ORDER BY 1",
  },
  {
    name: 'CASE expression',
    sql: "SELECT id, CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'medium' ELSE 'small' END AS size FROM orders",
  },
  {
    name: 'casts both ways',
    sql: 'SELECT id::text, CAST(total AS numeric(12, 2)), created_at::date FROM orders',
  },
  {
    name: 'aggregate FILTER',
    sql: "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) AS all_orders FROM orders",
  },
  {
    name: 'DISTINCT ON',
    sql: 'SELECT DISTINCT ON (customer_id) customer_id, id, created_at FROM orders ORDER BY customer_id, created_at DESC',
  },
  {
    name: 'generate_series',
    sql: "SELECT d::date FROM generate_series(date '2024-01-01', date '2024-12-31', interval '1 day') AS d",
  },
  {
    name: 'LATERAL top-N per group',
    sql: 'SELECT c.id, o.id AS order_id FROM customers c CROSS JOIN LATERAL (SELECT id FROM orders WHERE customer_id = c.id ORDER BY created_at DESC LIMIT 3) o',
  },
  { name: 'TABLE shorthand (a plain read of every column)', sql: 'TABLE customers' },
  { name: 'TABLESAMPLE', sql: 'SELECT * FROM events TABLESAMPLE SYSTEM (10) REPEATABLE (42)' },
  { name: 'ROLLUP', sql: 'SELECT country, city, count(*) FROM customers GROUP BY ROLLUP (country, city)' },
  {
    name: 'jsonb operators and set-returning function',
    sql: "SELECT e.id, e.payload ->> 'type' AS type, x.value FROM events e, jsonb_array_elements(e.payload -> 'items') AS x(value)",
  },
  {
    name: 'string functions',
    sql: "SELECT lower(trim(email)), regexp_replace(phone, '[^0-9]', '', 'g'), split_part(email, '@', 2) FROM customers",
  },
  {
    name: 'ordered-set aggregate',
    sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median FROM orders',
  },
  {
    name: 'gen_random_uuid and md5',
    sql: 'SELECT gen_random_uuid() AS row_id, md5(email) AS email_hash FROM customers',
  },
  { name: 'trailing semicolon and comments', sql: '-- monthly export\nSELECT id /* key */ FROM customers;' },
  {
    name: 'ILIKE, BETWEEN and IS NULL',
    sql: "SELECT id FROM customers WHERE email ILIKE '%@example.com' AND age BETWEEN 18 AND 65 AND deleted_at IS NULL",
  },
  { name: 'quoted identifiers', sql: 'SELECT "Order"."Total" FROM "Sales"."Order"' },
  {
    name: 'array_agg and unnest',
    sql: 'SELECT customer_id, array_agg(id ORDER BY id) FROM orders GROUP BY customer_id',
  },
  {
    name: 'extract, AT TIME ZONE and now()',
    sql: "SELECT extract(epoch FROM created_at) AS ts, created_at AT TIME ZONE 'UTC' FROM orders WHERE created_at < now()",
  },
  { name: 'count DISTINCT', sql: 'SELECT count(DISTINCT customer_id) FROM orders' },
  {
    name: 'FETCH FIRST with OFFSET',
    sql: 'SELECT id FROM orders ORDER BY id OFFSET 10 ROWS FETCH FIRST 5 ROWS ONLY',
  },
  { name: 'NULLIF and GREATEST', sql: 'SELECT NULLIF(discount, 0), GREATEST(total, 0) FROM orders' },
  { name: 'xpath over a column', sql: "SELECT xpath('/a/text()', doc) FROM documents" },
  {
    name: 'JSON_TABLE',
    sql: "SELECT jt.* FROM events e, JSON_TABLE(e.payload, '$.items[*]' COLUMNS (sku text PATH '$.sku', qty int PATH '$.qty')) AS jt",
  },
  { name: 'bind parameter', sql: 'SELECT id FROM orders WHERE customer_id = $1' },
  { name: 'random sample', sql: 'SELECT * FROM customers ORDER BY random() LIMIT 1000' },
  { name: 'current_date and current_user', sql: 'SELECT current_date, current_user' },
  {
    name: 'allowlist permits listed functions',
    sql: 'SELECT lower(email), count(*) FROM customers GROUP BY 1',
    options: { allowFunctions: ['lower', 'pg_catalog.count'] },
  },
];
