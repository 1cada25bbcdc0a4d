import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/cli/registry.js';
import { runPipeline } from '../src/engine/run-pipeline.js';
import { type PostgresCluster, startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { demoProject, runCli } from './cli.js';

const TABLE = 'analytics.training_tickets';
const COLUMNS = 'ticket_id, customer_token, email_token, full_name, ssn, country, subject, body';

/** The demo pipeline, writing Parquet and a PostgreSQL table; `subject` may be replaced to break the COPY. */
async function pipeline(
  dir: string,
  file: string,
  options: { table?: string; subject?: string; batchRows?: number } = {},
) {
  const demo = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
  const name = file.replace(/\.yaml$/, '');
  let text = demo
    .replace(/^outputs:[\s\S]*$/m, '')
    .replace('name: support-tickets-demo', `name: ${name}`)
    .concat(`outputs:
  - path: ../out/${name}/tickets.parquet
    format: parquet
  - format: postgres
    connection: warehouse
    table: ${options.table ?? TABLE}
    mode: replace
manifest:
  path: ../out/${name}/manifest.json
`);
  if (options.subject) text = text.replace('         t.subject,', `         ${options.subject} AS subject,`);
  if (options.batchRows)
    text = text
      .replace('    columns: [id, email', `    batch_rows: ${options.batchRows}\n    columns: [id, email`)
      .replace(
        '    query: SELECT id, customer_id',
        `    batch_rows: ${options.batchRows}\n    query: SELECT id, customer_id`,
      );
  await writeFile(join(dir, 'pipelines', file), text);
  return `pipelines/${file}`;
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

async function parquetRows(path: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT ${COLUMNS} FROM read_parquet('${path}') ORDER BY ticket_id`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

const asText = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));

async function auditRecords(dir: string): Promise<Record<string, unknown>[]> {
  return (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A target that holds one hand-written row; a failed run must leave exactly that. */
async function seedTarget(url: string): Promise<void> {
  await pgRows(
    url,
    `DROP TABLE IF EXISTS ${TABLE}; CREATE TABLE ${TABLE} (keep text); INSERT INTO ${TABLE} VALUES ('old')`,
  );
}

async function target(url: string): Promise<Record<string, unknown>[]> {
  return pgRows(url, `SELECT * FROM ${TABLE}`);
}

async function stagingTables(url: string): Promise<string[]> {
  const rows = await pgRows(url, `SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_sluice\\_%'`);
  return rows.map((r) => String(r['tablename']));
}

describe('a PostgreSQL table as a pipeline output', () => {
  let cluster: PostgresCluster;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    await pgRows(cluster.url, 'CREATE SCHEMA analytics');
    dir = await demoProject();
    const config = await readFile(join(dir, 'sluice.yaml'), 'utf8');
    await writeFile(
      join(dir, 'sluice.yaml'),
      config.replace(
        'connections:\n',
        'connections:\n  warehouse:\n    type: postgres\n    dsn: { env: WAREHOUSE_DSN }\n',
      ),
    );
    env = { WAREHOUSE_DSN: cluster.url };
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('writes the rows of the Parquet output into the table, records it in the manifest and audit, and a rerun replaces it', async () => {
    const file = await pipeline(dir, 'to-pg.yaml');
    const run = await runCli(['run', file, '--json'], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);

    const table = await pgRows(cluster.url, `SELECT ${COLUMNS} FROM ${TABLE} ORDER BY ticket_id`);
    const parquet = await parquetRows(join(dir, 'out/to-pg/tickets.parquet'));
    expect(table.length).toBeGreaterThan(0);
    expect(asText(table)).toEqual(asText(parquet));

    const manifestText = await readFile(join(dir, 'out/to-pg/manifest.json'), 'utf8');
    expect(manifestText).not.toContain(cluster.url);
    const manifest = JSON.parse(manifestText) as { outputs: Record<string, unknown>[] };
    expect(manifest.outputs[1]).toMatchObject({
      format: 'postgres',
      connection: 'warehouse',
      table: TABLE,
      mode: 'replace',
      rows: table.length,
      files: [],
      digest_algorithm: 'sha256-pg-copy-text-v1',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(manifest.outputs[1]?.['path']).toBeUndefined();
    const schema = (manifest.outputs[1]?.['schema'] ?? []) as { name: string }[];
    expect(schema.map((c) => c.name)).toContain('email_token');

    const verify = await runCli(
      [
        'manifest',
        'verify',
        'out/to-pg/manifest.json',
        '--public-key',
        'fixtures/keys/manifest-demo.pub.pem',
      ],
      { cwd: dir },
    );
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const audit = await auditRecords(dir);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(cluster.url);
    const statements = audit.filter((r) => r['kind'] === 'sink.statement');
    expect(statements.map((r) => r['step'])).toEqual([
      'lock',
      'stage',
      'copy',
      'copied',
      'swap',
      'swap',
      'swap',
      'swap',
    ]);
    expect(statements.map((r) => r['statement'])).toEqual([
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0))',
      expect.stringMatching(
        /^CREATE TABLE "analytics"\."training_tickets__sluice_[0-9a-f]{10}" \("ticket_id" int8, /,
      ),
      expect.stringMatching(/^COPY "analytics"\."training_tickets__sluice_[0-9a-f]{10}" FROM STDIN$/),
      expect.stringMatching(/^COPY /),
      'BEGIN',
      'DROP TABLE IF EXISTS "analytics"."training_tickets"',
      expect.stringMatching(
        /^ALTER TABLE "analytics"\."training_tickets__sluice_[0-9a-f]{10}" RENAME TO "training_tickets"$/,
      ),
      'COMMIT',
    ]);
    expect(statements[3]).toMatchObject({ connection: 'warehouse', table: TABLE, rows: table.length });

    // A rerun replaces the table: a row added by hand is gone, the rows are the same.
    await pgRows(cluster.url, `INSERT INTO ${TABLE} (ticket_id) VALUES (-1)`);
    const again = await runCli(['run', file, '--json'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    const replaced = await pgRows(cluster.url, `SELECT ${COLUMNS} FROM ${TABLE} ORDER BY ticket_id`);
    expect(asText(replaced)).toEqual(asText(parquet));
    const second = JSON.parse(await readFile(join(dir, 'out/to-pg/manifest.json'), 'utf8')) as {
      outputs: { sha256?: string }[];
    };
    expect(second.outputs[1]?.sha256).toBe(manifest.outputs[1]?.['sha256']);
    expect(await stagingTables(cluster.url)).toEqual([]);
  }, 180_000);

  it('validation rejects a table output on a connection that is not PostgreSQL, and file-only stages on it', async () => {
    const wrongType = await pipeline(dir, 'wrong-type.yaml');
    await writeFile(
      join(dir, wrongType),
      (await readFile(join(dir, wrongType), 'utf8')).replace('connection: warehouse', 'connection: demo'),
    );
    const typed = await runCli(['validate', wrongType], { cwd: dir, env });
    expect(typed.code, typed.stderr).toBe(2);
    expect(typed.stderr).toContain('outputs[1].connection');
    expect(typed.stderr).toContain(
      'writes into a connection of type `postgres`, but `demo` is of type `fixture`',
    );

    const split = await pipeline(dir, 'split.yaml');
    await writeFile(
      join(dir, split),
      (await readFile(join(dir, split), 'utf8')).replace(
        '    mode: replace\n',
        '    mode: replace\n    split: { by: ticket_id, parts: { train: 0.9, test: 0.1 } }\n',
      ),
    );
    const staged = await runCli(['validate', split], { cwd: dir, env });
    expect(staged.code, staged.stderr).toBe(2);
    expect(staged.stderr).toContain(
      '`split` shapes a dataset of files, but output format `postgres` writes one table',
    );
  }, 120_000);

  it('leaves the target untouched and drops its staging table when the COPY fails mid-write', async () => {
    await seedTarget(cluster.url);
    // A NUL character cannot be stored in a PostgreSQL text column: the server rejects row 5000.
    const file = await pipeline(dir, 'broken.yaml', {
      subject: "CASE WHEN t.id = 5000 THEN 'x' || chr(0) ELSE t.subject END",
      batchRows: 1000,
    });
    const run = await runCli(['run', file], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('training_tickets');
    expect(run.stderr).toContain('22021');
    expect(run.stderr).not.toContain(cluster.url);
    expect(await target(cluster.url)).toEqual([{ keep: 'old' }]);
    expect(await stagingTables(cluster.url)).toEqual([]);
  }, 120_000);

  it('an interrupted run (Ctrl-C) leaves the target untouched and drops its staging table', async () => {
    await seedTarget(cluster.url);
    const file = await pipeline(dir, 'interrupted.yaml', { batchRows: 500 });
    const controller = new AbortController();
    const run = runPipeline({
      pipeline: join(dir, file),
      config: join(dir, 'sluice.yaml'),
      registry: await createRegistry(),
      env: { ...process.env, ...env },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'rows_sent' && e.output === 'outputs[1]') controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await target(cluster.url)).toEqual([{ keep: 'old' }]);
    expect(await stagingTables(cluster.url)).toEqual([]);
  }, 120_000);

  it('a write into a protected table stops for approval before reading data, and runs once a steward approves', async () => {
    const policyPath = join(dir, 'fixtures/policies/demo-policy.yaml');
    await writeFile(
      policyPath,
      `${await readFile(policyPath, 'utf8')}
writes:
  protected:
    - connection: warehouse
      tables: ["analytics.*"]
      description: tables the BI dashboards read
  approvers:
    approver_groups: [data-stewards]
    ttl: 1h
`,
    );
    const configPath = join(dir, 'sluice.yaml');
    await writeFile(
      configPath,
      (await readFile(configPath, 'utf8')).replace(
        '  authenticators:\n',
        '  authenticators:\n    - type: token\n      tokens_file: .sluice/tokens.jsonl\n',
      ),
    );
    const token = await runCli(
      [
        'token',
        'create',
        '--tokens-file',
        '.sluice/tokens.jsonl',
        '--subject',
        'alice',
        '--group',
        'data-stewards',
        '--json',
      ],
      { cwd: dir },
    );
    expect(token.code, token.stderr).toBe(0);
    await writeFile(join(dir, 'alice.token'), (JSON.parse(token.stdout) as { token: string }).token);

    await seedTarget(cluster.url);
    const file = await pipeline(dir, 'protected.yaml');
    const plan = await runCli(['plan', file], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(4);
    expect(plan.stdout).toContain(
      'output outputs[1] writes analytics.training_tickets (connection warehouse, mode replace): APPROVAL_REQUIRED',
    );
    const auditBefore = (await auditRecords(dir)).length;
    const first = await runCli(['run', file], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toContain('Writing table `analytics.training_tickets` on connection `warehouse`');
    const id = /apr_[0-9a-f]{12}/.exec(first.stderr)?.[0] as string;
    expect(id, first.stderr).toBeDefined();
    const stopped = (await auditRecords(dir)).slice(auditBefore);
    expect(stopped.some((r) => r['kind'] === 'extraction_started')).toBe(false);
    expect(stopped.find((r) => r['kind'] === 'approval.requested')).toMatchObject({
      approval_id: id,
      connection: 'warehouse',
      relations: [TABLE],
      write: {
        table: TABLE,
        mode: 'replace',
        columns: expect.arrayContaining([expect.objectContaining({ name: 'ticket_id' })]),
      },
    });
    expect(await target(cluster.url)).toEqual([{ keep: 'old' }]);

    const approved = await runCli(['approve', id, '--token-file', 'alice.token', '--reason', 'DASH-7'], {
      cwd: dir,
    });
    expect(approved.code, approved.stderr).toBe(0);
    const second = await runCli(['run', file, '--json'], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'out/protected/manifest.json'), 'utf8')) as {
      approvals: Record<string, unknown>[];
      outputs: Record<string, unknown>[];
    };
    expect(manifest.approvals).toEqual([
      expect.objectContaining({ id, approver: 'alice', output: 'outputs[1]' }),
    ]);
    expect(manifest.outputs[1]).toMatchObject({ table: TABLE, approval_id: id });
    const used = (await auditRecords(dir)).filter((r) => r['kind'] === 'approval.used');
    expect(used.at(-1)).toMatchObject({ approval_id: id });

    // No rule and no protected entry covers another schema: with a `writes` section that is denied.
    const elsewhere = await pipeline(dir, 'elsewhere.yaml', { table: 'public.training_tickets' });
    const denied = await runCli(['run', elsewhere], { cwd: dir, env });
    expect(denied.code, denied.stderr).toBe(3);
    expect(denied.stderr).toContain('no-matching-write-rule');
  }, 240_000);
});
