import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { type CliResult, demoProject, ROOT, runCli } from './cli.js';

async function queryRows(sql: string, setup?: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    if (setup) await conn.run(setup);
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

async function pgRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL demo', () => {
  let cluster: PostgresCluster;
  let dir: string;
  let load: CliResult;
  let pgRun: CliResult;
  let duckRun: CliResult;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    dir = await demoProject();
    await mkdir(join(dir, 'pipelines/examples'), { recursive: true });
    for (const file of ['sluice.yaml', 'postgres-demo.yaml']) {
      await cp(join(ROOT, 'pipelines/examples', file), join(dir, 'pipelines/examples', file));
    }
    const env = { SLUICE_DEMO_PG_DSN: cluster.url };
    load = await runCli(
      ['fixtures', 'load', '--dsn-env', 'SLUICE_DEMO_PG_DSN', '--rows', '10000', '--seed', '42', '--json'],
      { cwd: dir, env },
    );
    [pgRun, duckRun] = await Promise.all([
      runCli(['run', 'pipelines/examples/postgres-demo.yaml', '--json'], { cwd: dir, env }),
      runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: dir }),
    ]);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('fixtures load creates the three tables with typed columns and the fixture row counts', async () => {
    expect(load.code, load.stderr).toBe(0);
    expect(JSON.parse(load.stdout).tables).toEqual([
      { table: 'public.customers', rows: 10_000 },
      { table: 'public.orders', rows: 20_000 },
      { table: 'public.support_tickets', rows: 10_000 },
    ]);
    const types = await pgRows(
      cluster.url,
      `SELECT table_name || '.' || column_name AS col, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name IN ('id', 'date_of_birth', 'created_at', 'amount')`,
    );
    const byColumn = Object.fromEntries(types.map((r) => [r.col, r.data_type]));
    expect(byColumn).toMatchObject({
      'customers.id': 'bigint',
      'customers.date_of_birth': 'date',
      'customers.created_at': 'timestamp with time zone',
      'orders.amount': 'double precision',
    });
  });

  it('reads the same rows from PostgreSQL as from the DuckDB fixture', async () => {
    const [fromPg] = await pgRows(
      cluster.url,
      `SELECT count(*)::int AS n, count(date_of_birth)::int AS births, min(date_of_birth)::text AS first_birth
       FROM customers`,
    );
    const [fromDuck] = await queryRows(
      `SELECT count(*)::INTEGER AS n, count(date_of_birth)::INTEGER AS births, min(date_of_birth)::VARCHAR AS first_birth
       FROM fx.customers`,
      `ATTACH '${join(dir, '.sluice/demo/fixtures.duckdb')}' AS fx (READ_ONLY)`,
    );
    expect(fromPg).toEqual(fromDuck);
  });

  it('produces the same masked output as the DuckDB demo: same rows, same tokens', async () => {
    expect(pgRun.code, pgRun.stderr).toBe(0);
    expect(duckRun.code, duckRun.stderr).toBe(0);
    const pgOut = JSON.parse(pgRun.stdout).outputs[0].path as string;
    const duckOut = JSON.parse(duckRun.stdout).outputs[0].path as string;
    expect(pgOut).toBe(join(dir, 'out/postgres-demo/tickets.parquet'));
    const schema = (path: string) =>
      queryRows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`);
    expect(await schema(pgOut)).toEqual(await schema(duckOut));
    const [counts] = await queryRows(
      `SELECT (SELECT count(*) FROM read_parquet('${pgOut}'))::INTEGER AS pg_rows,
              (SELECT count(*) FROM read_parquet('${duckOut}'))::INTEGER AS duck_rows,
              (SELECT count(*) FROM (SELECT * FROM read_parquet('${pgOut}') EXCEPT ALL
                                     SELECT * FROM read_parquet('${duckOut}')))::INTEGER AS only_pg,
              (SELECT count(*) FROM (SELECT * FROM read_parquet('${duckOut}') EXCEPT ALL
                                     SELECT * FROM read_parquet('${pgOut}')))::INTEGER AS only_duck`,
    );
    expect(counts).toEqual({ pg_rows: 10_000, duck_rows: 10_000, only_pg: 0, only_duck: 0 });
    // Spot-check one row in full, in order, so a difference shows what differs.
    const first = (path: string) =>
      queryRows(`SELECT * FROM read_parquet('${path}') ORDER BY ticket_id LIMIT 3`);
    expect(await first(pgOut)).toEqual(await first(duckOut));
  });

  it('records one shared PostgreSQL snapshot for both sources in the manifest', async () => {
    const { readFile } = await import('node:fs/promises');
    const manifest = JSON.parse(await readFile(JSON.parse(pgRun.stdout).manifest, 'utf8'));
    const source = (name: string) => manifest.sources.find((s: { name: string }) => s.name === name);
    const customers = source('customers');
    expect(customers.connection).toEqual({ name: 'pg', type: 'postgres' });
    expect(customers.snapshot).toMatchObject({ isolation: 'repeatable read', read_only: true });
    expect(customers.snapshot.exported_snapshot).toEqual(expect.any(String));
    expect(source('tickets').snapshot.exported_snapshot).toBe(customers.snapshot.exported_snapshot);
    expect(source('tickets').snapshot.snapshot).toBe(customers.snapshot.snapshot);
    expect(JSON.stringify(manifest)).not.toContain(cluster.url);
  });

  it('fixtures load never prints a password given on the command line, even when it fails', async () => {
    const url = new URL(cluster.url);
    url.password = 'hunter2-secret';
    const first = await runCli(['fixtures', 'load', url.toString(), '--rows', '50', '--schema', 'copy2']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('--dsn-env');
    const again = await runCli(['fixtures', 'load', url.toString(), '--rows', '50', '--schema', 'copy2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('`copy2.customers`');
    expect(again.stderr).toContain('--drop');
    url.port = '1';
    const refused = await runCli(['fixtures', 'load', url.toString(), '--rows', '50']);
    expect(refused.code).toBe(1);
    for (const r of [first, again, refused]) expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
    const replaced = await runCli(
      ['fixtures', 'load', '--dsn-env', 'PG_URL', '--rows', '50', '--schema', 'copy2', '--drop'],
      { env: { PG_URL: cluster.url } },
    );
    expect(replaced.code, replaced.stderr).toBe(0);
  });

  it('fixtures load asks for exactly one way to name the database', async () => {
    const both = await runCli(['fixtures', 'load', 'PG_URL', '--dsn-env', 'PG_URL']);
    const neither = await runCli(['fixtures', 'load']);
    for (const r of [both, neither]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--dsn-env');
    }
    const unset = await runCli(['fixtures', 'load', '--dsn-env', 'SLUICE_NO_SUCH_VAR'], {
      env: { SLUICE_NO_SUCH_VAR: '' },
    });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('SLUICE_NO_SUCH_VAR');
  });
});
