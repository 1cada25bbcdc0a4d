import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureTables } from '../fixtures/generator.js';
import { demoProject, runCli } from './cli.js';

const PIPELINE = `version: 1
name: ssn-tokens
purpose: model-training
sources:
  customers: { connection: demo, table: customers, columns: [id, ssn] }
transforms:
  customers:
    id: { mask: hmac, key_id: demo }
    ssn: { mask: fpe, key_id: demo }
outputs:
  - { path: ../out/ssn/customers.jsonl, format: jsonl }
`;

async function project(grant: boolean): Promise<string> {
  const dir = await demoProject();
  const policyPath = join(dir, 'fixtures/policies/demo-policy.yaml');
  let policy = await readFile(policyPath, 'utf8');
  // Format-preserving tokens satisfy the SSN class in this project.
  policy = policy.replace(
    '  pii.ssn:\n    description: US social security numbers.\n    satisfied_by:\n',
    '  pii.ssn:\n    description: US social security numbers.\n    satisfied_by:\n      - mask: fpe\n',
  );
  if (grant) {
    policy += `
detokenize:
  - id: support-escalations
    subjects: ["*"]
    allow_unverified: true
    key_ids: [demo]
`;
  }
  await writeFile(policyPath, policy);
  await writeFile(join(dir, 'pipelines/ssn.yaml'), PIPELINE);
  return dir;
}

async function ssnTokens(dir: string): Promise<string[]> {
  const run = await runCli(['run', 'pipelines/ssn.yaml'], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  const lines = (await readFile(join(dir, 'out/ssn/customers.jsonl'), 'utf8')).trim().split('\n');
  return lines
    .map((l) => JSON.parse(l).ssn as string | null)
    .filter((s): s is string => s !== null)
    .slice(0, 50);
}

describe('pipeline detokenize', () => {
  it('reverses fpe tokens for a granted identity, and audits the use without values', async () => {
    const dir = await project(true);
    const tokens = await ssnTokens(dir);
    expect(tokens.every((t) => /^\d{3}-\d{2}-\d{4}$/.test(t))).toBe(true);
    const result = await runCli(['detokenize', '--key-id', 'demo', '--column', 'ssn'], {
      cwd: dir,
      input: `${tokens.join('\n')}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const values = result.stdout.trim().split('\n');
    const raw = new Set<string>();
    const [customers] = fixtureTables({ rows: 10_000, seed: 42 });
    for await (const batch of customers!.batches())
      for (const v of batch.getChild('ssn')!) if (v !== null) raw.add(String(v));
    expect(values).toHaveLength(tokens.length);
    expect(values.every((v) => raw.has(v))).toBe(true);
    expect(values.some((v, i) => v !== tokens[i])).toBe(true);
    const audit = await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8');
    const used = audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'detokenize.performed');
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({ key_id: 'demo', grant: 'support-escalations', values: tokens.length });
    for (const v of values) expect(audit).not.toContain(v);
  });

  it('reverses fpe tokens of an integer column with --integer', async () => {
    const dir = await project(true);
    const policyPath = join(dir, 'fixtures/policies/demo-policy.yaml');
    const policy = await readFile(policyPath, 'utf8');
    // Reversible ids are acceptable in this project.
    await writeFile(
      policyPath,
      policy.replace(
        'without exposing the id.\n    satisfied_by:\n',
        'without exposing the id.\n    satisfied_by:\n      - mask: fpe\n',
      ),
    );
    await writeFile(
      join(dir, 'pipelines/ids.yaml'),
      PIPELINE.replace('name: ssn-tokens', 'name: id-tokens')
        .replace('id: { mask: hmac, key_id: demo }', 'id: { mask: fpe, key_id: demo }')
        .replace('out/ssn/', 'out/ids/'),
    );
    const run = await runCli(['run', 'pipelines/ids.yaml'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const rows = (await readFile(join(dir, 'out/ids/customers.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .slice(0, 50)
      .map((l) => JSON.parse(l) as { id: number | string });
    const tokens = rows.map((r) => String(r.id));
    const result = await runCli(['detokenize', '--key-id', 'demo', '--column', 'id', '--integer', 'int64'], {
      cwd: dir,
      input: `${tokens.join('\n')}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const ids = new Set<string>();
    const [customers] = fixtureTables({ rows: 10_000, seed: 42 });
    for await (const batch of customers!.batches()) for (const v of batch.getChild('id')!) ids.add(String(v));
    const values = result.stdout.trim().split('\n');
    expect(values).toHaveLength(tokens.length);
    expect(values.every((v) => ids.has(v))).toBe(true);
    expect(values.some((v, i) => v !== tokens[i])).toBe(true);
  });

  it('refuses with exit 3 when the policy grants no detokenization', async () => {
    const dir = await project(false);
    const tokens = await ssnTokens(dir);
    const result = await runCli(['detokenize', '--key-id', 'demo', '--column', 'ssn'], {
      cwd: dir,
      input: `${tokens[0]}\n`,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error[POLICY_DENIED]');
    expect(result.stdout).toBe('');
  });
});
