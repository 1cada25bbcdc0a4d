import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, ROOT, runCli } from './cli.js';

describe('Sluice as a library and plugin host', () => {
  it('runs a pipeline from plain Node with `import { runPipeline } from "sluice"`', async () => {
    const dir = await demoProject();
    const script = `
      import { runPipeline } from 'sluice';
      const result = await runPipeline({ pipeline: ${JSON.stringify(join(dir, 'pipelines/demo.yaml'))} });
      console.log(JSON.stringify({ status: result.status, rows: result.outputs[0].rows }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1) as string)).toEqual({
      status: 'succeeded',
      rows: 10_000,
    });
  });

  it('loads a plugin listed under `plugins:` and applies its mask', async () => {
    const dir = await demoProject();
    // The demo policy knows only the built-in masks; this project runs under the SQL guard alone.
    const config = await readFile(join(dir, 'sluice.yaml'), 'utf8');
    await writeFile(join(dir, 'sluice.yaml'), config.replace(/^policy: .*$/m, ''));
    const plugin = join(ROOT, 'docs/plugins/email-domain/email-domain-mask.js');
    await writeFile(
      join(dir, 'pipelines/plugin.yaml'),
      `version: 1
name: by-domain
purpose: analytics
plugins: [${JSON.stringify(plugin)}]
sources:
  customers: { connection: demo, table: customers, columns: [id, email] }
transforms:
  customers:
    email: { mask: email_domain }
outputs:
  - { path: ../out/by-domain/customers.jsonl, format: jsonl }
`,
    );
    const result = await runCli(['run', 'pipelines/plugin.yaml', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const lines = (await readFile(join(dir, 'out/by-domain/customers.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(10_000);
    const emails = lines.map((l) => JSON.parse(l).email as string | null).filter((e) => e !== null);
    expect(emails.length).toBeGreaterThan(0);
    expect(emails.every((e) => !e.includes('@') && e.includes('.'))).toBe(true);
  });

  it('reports an unknown mask with the registered ones', async () => {
    const dir = await demoProject();
    const text = (await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8')).replace(
      '{ mask: redact }',
      '{ mask: scramble }',
    );
    await writeFile(join(dir, 'pipelines/unknown.yaml'), text);
    const result = await runCli(['validate', 'pipelines/unknown.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown mask\. Registered: .*`hmac`/);
  });

  it('prints help for every command quickly enough to be used interactively', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'validate', 'fixtures', 'guard', 'audit', 'schema'])
      expect(help.stdout).toContain(command);
    for (const command of ['run', 'validate', 'fixtures generate', 'schema']) {
      const sub = await runCli([...command.split(' '), '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain('Usage: pipeline');
    }
  });

  it('exits 2 on a usage mistake', async () => {
    const result = await runCli(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'pipeline'");
  });
});
