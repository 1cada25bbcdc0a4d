import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

const BROKEN = `version: 1
name: broken-demo
purpose: model-training
sources:
  customers:
    connection: demo
    table: customers
    colour: blue
  tickets:
    connection: demo
    query: SELECT id, customer_id FROM support_tickets
    batch_rows: lots
transforms:
  customers:
    e_mail: { mask: hmac, key_id: demo }
outputs:
  - path: ../out/broken/data.parquet
    format: parquet
`;

describe('a pipeline with mistakes', () => {
  it('reports an unknown key, a wrong type and a mask on a missing column at once, with lines, and exits 2', async () => {
    const dir = await demoProject();
    await writeFile(join(dir, 'pipelines/broken.yaml'), BROKEN);
    const result = await runCli(['run', 'pipelines/broken.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CONFIG_INVALID]: 3 problems');
    expect(result.stderr).toMatch(/broken\.yaml:8:5 at `sources\.customers\.colour`: Unknown key `colour`/);
    expect(result.stderr).toMatch(/broken\.yaml:12:17 at `sources\.tickets\.batch_rows`: .*expected number/);
    expect(result.stderr).toMatch(
      /broken\.yaml:15:\d+ at `transforms\.customers\.e_mail`: Column `e_mail` not found in source `customers`\. Did you mean `email`\?/,
    );
    await expect(access(join(dir, 'out'))).rejects.toThrow();
  });

  it('reports the same problems from `validate`, as JSON with --json', async () => {
    const dir = await demoProject();
    await writeFile(join(dir, 'pipelines/broken.yaml'), BROKEN);
    const result = await runCli(['validate', 'pipelines/broken.yaml', '--json'], { cwd: dir });
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout);
    expect(body.valid).toBe(false);
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual([
      'sources.customers.colour',
      'sources.tickets.batch_rows',
      'transforms.customers.e_mail',
    ]);
    expect(body.issues.every((i: { line: number }) => typeof i.line === 'number')).toBe(true);
  });

  it('names a missing environment variable and the line that references it', async () => {
    const dir = await demoProject();
    const text = (await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8')).replace(
      'owner: ml-platform@example.com',
      'owner: ${DATASET_OWNER}',
    );
    await writeFile(join(dir, 'pipelines/env.yaml'), text);
    const missing = await runCli(['validate', 'pipelines/env.yaml'], {
      cwd: dir,
      env: { DATASET_OWNER: '' },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /env\.yaml:\d+:\d+ at `owner`: Environment variable `DATASET_OWNER` is not set/,
    );
    const set = await runCli(['validate', 'pipelines/env.yaml'], {
      cwd: dir,
      env: { DATASET_OWNER: 'team@example.com' },
    });
    expect(set.code, set.stderr).toBe(0);
  });

  it('says where to put the config when there is none', async () => {
    const dir = await demoProject();
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'sluice.yaml'));
    const result = await runCli(['validate', 'pipelines/demo.yaml'], {
      cwd: dir,
      env: { SLUICE_CONFIG: '' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No config file found');
  });

  it('refuses to run without authenticators (no identity, no data), exits 3 and audits the refusal', async () => {
    const dir = await demoProject();
    const config = await readFile(join(dir, 'sluice.yaml'), 'utf8');
    await writeFile(join(dir, 'sluice.yaml'), config.slice(0, config.indexOf('identity:')));
    const result = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error[AUTH_FAILED]');
    await expect(access(join(dir, 'out'))).rejects.toThrow();
  });

  it('rejects malformed YAML with its line', async () => {
    const dir = await demoProject();
    await writeFile(join(dir, 'pipelines/bad.yaml'), 'version: 1\nname: [unclosed\n');
    const result = await runCli(['validate', 'pipelines/bad.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml:\d+:\d+/);
  });
});
