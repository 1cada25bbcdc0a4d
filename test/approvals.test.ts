import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

const PIPELINE = (query: string) => `version: 1
name: approval-demo
purpose: model-training
sources:
  customers:
    connection: demo
    query: ${query}
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

/** The demo project with a policy that makes `model-training` need a data steward's approval. */
async function approvalProject(): Promise<string> {
  const dir = await demoProject();
  const policyPath = join(dir, 'fixtures/policies/demo-policy.yaml');
  const policy = await readFile(policyPath, 'utf8');
  await writeFile(
    policyPath,
    `${policy.replace(
      '    description: Training and fine-tuning models on masked data.\n',
      '    description: Training and fine-tuning models on masked data.\n    require_approval: true\n',
    )}\napprovals:\n  approver_groups: [data-stewards]\n  ttl: 1h\n  request_ttl: 1d\n`,
  );
  const configPath = join(dir, 'sluice.yaml');
  const config = await readFile(configPath, 'utf8');
  await writeFile(
    configPath,
    config.replace(
      '  authenticators:\n',
      '  authenticators:\n    - type: token\n      tokens_file: .sluice/tokens.jsonl\n',
    ),
  );
  await writeFile(join(dir, 'pipelines/approval.yaml'), PIPELINE('SELECT id, email, country FROM customers'));
  return dir;
}

function requestId(stderr: string): string {
  const id = /apr_[0-9a-f]{12}/.exec(stderr)?.[0];
  expect(id, stderr).toBeDefined();
  return id as string;
}

describe('approvals from the CLI', () => {
  it('stops a run for approval, lets a data steward approve it, and asks again when the query changes', async () => {
    const dir = await approvalProject();
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

    const first = await runCli(['run', 'pipelines/approval.yaml'], { cwd: dir });
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toContain('error[APPROVAL_REQUIRED]');
    const id = requestId(first.stderr);
    for (const fact of ['customers', 'model-training', 'customers.email', 'email: hmac', '`data-stewards`'])
      expect(first.stderr).toContain(fact);

    const inbox = await runCli(['approvals', 'list', '--pending', '--json'], { cwd: dir });
    expect(inbox.code, inbox.stderr).toBe(0);
    expect((JSON.parse(inbox.stdout) as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toEqual([
      id,
    ]);

    // The requester runs as the unverified local identity: it can never approve.
    const self = await runCli(['approve', id, '--reason', 'mine'], { cwd: dir });
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('error[POLICY_DENIED]');

    const approved = await runCli(['approve', id, '--token-file', 'alice.token', '--reason', 'OPS-42'], {
      cwd: dir,
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('granted');

    const second = await runCli(['run', 'pipelines/approval.yaml', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'out/approval/manifest.json'), 'utf8')) as {
      approvals: { id: string; approver: string; reason?: string }[];
    };
    expect(manifest.approvals).toEqual([
      expect.objectContaining({ id, approver: 'alice', reason: 'OPS-42' }),
    ]);
    const audit = (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => String(r['kind']).startsWith('approval.'));
    expect(audit.map((r) => [r['kind'], r['approval_id']])).toEqual([
      ['approval.requested', id],
      ['approval.granted', id],
      ['approval.used', id],
    ]);
    expect(audit[1]).toMatchObject({ by: 'alice', reason: 'OPS-42', status: 'granted' });

    await writeFile(
      join(dir, 'pipelines/approval.yaml'),
      PIPELINE('SELECT id, email, country, created_at FROM customers'),
    );
    const changed = await runCli(['run', 'pipelines/approval.yaml'], { cwd: dir });
    expect(changed.code, changed.stderr).toBe(4);
    expect(requestId(changed.stderr)).not.toBe(id);
  }, 120_000);

  it('a denied request makes the run fail with the approver and reason (exit 3)', async () => {
    const dir = await approvalProject();
    const token = await runCli(
      [
        'token',
        'create',
        '--tokens-file',
        '.sluice/tokens.jsonl',
        '--subject',
        'bob',
        '--group',
        'data-stewards',
        '--json',
      ],
      { cwd: dir },
    );
    await writeFile(join(dir, 'bob.token'), (JSON.parse(token.stdout) as { token: string }).token);
    const id = requestId((await runCli(['run', 'pipelines/approval.yaml'], { cwd: dir })).stderr);
    const denied = await runCli(['deny', id, '--token-file', 'bob.token', '--reason', 'use analytics data'], {
      cwd: dir,
    });
    expect(denied.code, denied.stderr).toBe(0);
    const run = await runCli(['run', 'pipelines/approval.yaml'], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error[POLICY_DENIED]');
    expect(run.stderr).toContain('use analytics data');
  }, 120_000);
});
