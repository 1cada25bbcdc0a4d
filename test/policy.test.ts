import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

async function auditRecords(dir: string): Promise<Record<string, unknown>[]> {
  return (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('the demo under its policy', () => {
  it('denies the run with exit 3, naming the column and the masks that would satisfy it, when a mask is removed', async () => {
    const dir = await demoProject();
    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text
        .split('\n')
        .filter((l) => !l.includes('email: { mask: hmac'))
        .join('\n'),
    );
    const result = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error[POLICY_DENIED]');
    expect(result.stderr).toContain(
      'Column `email` of source `customers` is classified `pii.email`; mask it with one of: `hmac`, `redact`, `null`',
    );
    const decisions = (await auditRecords(dir)).filter((r) => r['kind'] === 'decision');
    expect(decisions.at(-1)).toMatchObject({
      verdict: 'deny',
      source: 'customers',
      purpose: 'model-training',
    });
    expect(decisions.at(-1)?.['policy_version']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('denies a purpose the policy does not grant', async () => {
    const dir = await demoProject();
    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text.replace('purpose: model-training', 'purpose: analytics'),
    );
    const result = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error[POLICY_DENIED]');
  });

  it('denies a source query the guard cannot prove read-only, before connecting', async () => {
    const dir = await demoProject();
    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text.replace(
        'query: SELECT id, customer_id, subject, body, created_at FROM support_tickets',
        'query: "WITH gone AS (DELETE FROM support_tickets RETURNING *) SELECT id, customer_id, subject, body, created_at FROM gone"',
      ),
    );
    const result = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/data-modifying-cte/);
  });

  it('records each source decision, with the policy version, in the manifest and the audit log', async () => {
    const dir = await demoProject();
    const result = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const decisions = (await auditRecords(dir)).filter((r) => r['kind'] === 'decision');
    expect(decisions.map((d) => [d['source'], d['verdict']])).toEqual([
      ['customers', 'allow'],
      ['tickets', 'allow'],
    ]);
    const manifest = JSON.parse(await readFile(JSON.parse(result.stdout).manifest, 'utf8'));
    const customers = manifest.sources.find((s: { name: string }) => s.name === 'customers');
    expect(customers.masks.find((m: { column: string }) => m.column === 'email').origin).toBe('policy');
    expect(manifest.policy.sha256).toBe(decisions[0]?.['policy_version']);
  });

  it('`pipeline plan` shows each decision and the mandatory masks without reading data', async () => {
    const dir = await demoProject();
    const allowed = await runCli(['plan', 'pipelines/demo.yaml', '--json'], { cwd: dir });
    expect(allowed.code, allowed.stderr).toBe(0);
    const plan = JSON.parse(allowed.stdout);
    expect(plan.verdict).toBe('allow');
    expect(plan.identity).toMatchObject({ method: 'local', verified: false });
    const customers = plan.sources.find((s: { name: string }) => s.name === 'customers');
    expect(customers.masks.find((m: { column: string }) => m.column === 'email')).toMatchObject({
      requested: { mask: 'hmac', key_id: 'demo' },
      mandatory: { classes: ['pii.email'], satisfied: true },
    });
    // Planning reads no data: the fixture is not even generated.
    await expect(access(join(dir, '.sluice/demo/fixtures.duckdb'))).rejects.toThrow();

    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text.replace(/ssn: \{ mask: partial, keep_last: 4 \}/, 'ssn: { mask: partial, keep_last: 6 }'),
    );
    const denied = await runCli(['plan', 'pipelines/demo.yaml'], { cwd: dir });
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/mask ssn: partial · class pii\.ssn needs one of .*: MISSING/);
  });

  it('`pipeline whoami` prints the identity from the config, and rejects an unknown token with exit 3', async () => {
    const dir = await demoProject();
    const me = await runCli(['whoami', '--json'], { cwd: dir });
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout).identity).toMatchObject({ method: 'local', verified: false });
    const bad = await runCli(['whoami'], { cwd: dir, env: { SLUICE_TOKEN: 'slc_not_a_real_token_value' } });
    expect(bad.code).toBe(3);
    expect(bad.stdout + bad.stderr).not.toContain('slc_not_a_real_token_value');
  });
});

describe('drift detection', () => {
  it('stops a run when an unclassified, unmasked column turns out to hold personal data, and writes nothing', async () => {
    const dir = await demoProject();
    // No policy: nothing is classified, so only drift detection stands between the e-mails and the output.
    const config = await readFile(join(dir, 'sluice.yaml'), 'utf8');
    await writeFile(join(dir, 'sluice.yaml'), config.replace(/^policy: .*$/m, ''));
    await writeFile(
      join(dir, 'pipelines/leak.yaml'),
      `version: 1
name: leak
purpose: model-training
sources:
  customers: { connection: demo, table: customers, columns: [id, email, country] }
outputs:
  - { path: ../out/leak/customers.parquet, format: parquet }
`,
    );
    const result = await runCli(['run', 'pipelines/leak.yaml'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /unclassified, unmasked column\(s\) holding personal data: `email` \(100% email\)/,
    );
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(dir, 'out/leak')).catch(() => [])).filter((n) => !n.startsWith('.'))).toEqual(
      [],
    );
    const audit = (await readFile(join(dir, '.sluice/audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.some((r) => r.kind === 'drift.detected' && r.column === 'email')).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/@example\.(com|net|org)/);
  });
});
