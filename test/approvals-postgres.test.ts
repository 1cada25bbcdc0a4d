import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, startTestDatabase } from '../connectors/postgres/test/harness.js';
import { demoProject, runCli } from './cli.js';

const PIPELINE = `version: 1
name: approval-demo
purpose: model-training
sources:
  customers:
    connection: demo
    query: SELECT id, email, country FROM customers
transforms:
  customers:
    id: { mask: hmac, key_id: demo, output: int64 }
    email: { mask: hmac, key_id: demo }
outputs:
  - path: ../out/approval/customers.parquet
    format: parquet
manifest:
  path: ../out/approval/manifest.json
`;

let pg: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  pg = await startTestDatabase();
}, 120_000);
afterAll(() => pg?.stop());

/** The demo project, `model-training` needing two data stewards, approvals kept in PostgreSQL. */
async function project(): Promise<string> {
  const dir = await demoProject();
  const policyPath = join(dir, 'fixtures/policies/demo-policy.yaml');
  const policy = await readFile(policyPath, 'utf8');
  await writeFile(
    policyPath,
    `${policy.replace(
      '    description: Training and fine-tuning models on masked data.\n',
      '    description: Training and fine-tuning models on masked data.\n    require_approval: true\n',
    )}\napprovals:\n  approver_groups: [data-stewards]\n  min_approvals: 2\n  ttl: 1h\n  request_ttl: 1d\n`,
  );
  const configPath = join(dir, 'sluice.yaml');
  const config = (await readFile(configPath, 'utf8'))
    .replace(
      '  authenticators:\n',
      '  authenticators:\n    - type: token\n      tokens_file: .sluice/tokens.jsonl\n',
    )
    .replace(
      /^connections:\n/m,
      'connections:\n  approvals_db: { type: postgres, dsn: { env: APPROVALS_PG_DSN } }\n',
    );
  await writeFile(
    configPath,
    `${config}\napprovals:\n  store: { type: postgres, connection: approvals_db, table: shared_approvals }\n`,
  );
  await writeFile(join(dir, 'pipelines/approval.yaml'), PIPELINE);
  return dir;
}

describe('approvals kept in PostgreSQL, from the CLI', () => {
  it('stops a run, takes approvals from concurrent approver processes exactly once, then lets the run through', async () => {
    const dir = await project();
    const env = { APPROVALS_PG_DSN: pg.url };
    for (const name of ['alice', 'bob', 'carol']) {
      const token = await runCli(
        [
          'token',
          'create',
          '--tokens-file',
          '.sluice/tokens.jsonl',
          '--subject',
          name,
          '--group',
          'data-stewards',
          '--json',
        ],
        { cwd: dir, env },
      );
      expect(token.code, token.stderr).toBe(0);
      await writeFile(join(dir, `${name}.token`), (JSON.parse(token.stdout) as { token: string }).token);
    }

    const first = await runCli(['run', 'pipelines/approval.yaml'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(4);
    const id = /apr_[0-9a-f]{12}/.exec(first.stderr)?.[0] as string;
    expect(id, first.stderr).toBeDefined();

    const inbox = await runCli(['approvals', 'list', '--pending', '--json'], { cwd: dir, env });
    expect(inbox.code, inbox.stderr).toBe(0);
    expect((JSON.parse(inbox.stdout) as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toEqual([
      id,
    ]);

    // Three stewards approve at once from separate processes; two approvals grant, the third is refused.
    const results = await Promise.all(
      ['alice', 'bob', 'carol'].map((name) =>
        runCli(['approve', id, '--token-file', `${name}.token`, '--reason', 'OPS-7', '--json'], {
          cwd: dir,
          env,
        }),
      ),
    );
    const ok = results.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout) as { status: string });
    expect(ok.map((s) => s.status).sort(), results.map((r) => r.stderr).join('\n')).toEqual([
      'granted',
      'pending',
    ]);
    const refused = results.filter((r) => r.code !== 0);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.stderr).toContain('error[USAGE]');

    const { rows } = await admin(
      pg.url,
      `SELECT record->>'type' AS type, count(*)::int AS n FROM shared_approvals WHERE approval_id = '${id}' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([
      { type: 'decision', n: 2 },
      { type: 'request', n: 1 },
    ]);

    const second = await runCli(['run', 'pipelines/approval.yaml', '--json'], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'out/approval/manifest.json'), 'utf8')) as {
      approvals: { id: string }[];
    };
    expect(manifest.approvals.map((a) => a.id)).toEqual([id]);
    // Nothing went to the approvals file.
    await expect(access(join(dir, '.sluice/approvals.jsonl'))).rejects.toThrow();
  });

  it('reports a store connection that is not a postgres connection as a config error', async () => {
    const dir = await project();
    const configPath = join(dir, 'sluice.yaml');
    await writeFile(
      configPath,
      (await readFile(configPath, 'utf8')).replace('connection: approvals_db,', 'connection: demo,'),
    );
    const run = await runCli(['approvals', 'list'], { cwd: dir, env: { APPROVALS_PG_DSN: pg.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('`approvals.store.connection` names `demo`');
  });
});
