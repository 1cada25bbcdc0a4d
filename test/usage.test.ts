import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTables } from '../fixtures/generator.js';
import { CLI, type CliResult, demoProject, runCli } from './cli.js';

/** A customer of the demo fixture who has support tickets, so their email is in the demo dataset. */
function customerWithTickets(): { email: string; country: string } {
  const [customers, , tickets] = fixtureTables({ rows: 10_000, seed: 42 });
  if (!customers || !tickets) throw new Error('fixture tables missing');
  const ticketBatch = tickets.generate(0, tickets.rows);
  const withTickets = new Set(Array.from(ticketBatch.getChild('customer_id')?.toArray() ?? [], String));
  const batch = customers.generate(0, 200);
  for (let i = 0; i < batch.numRows; i++) {
    const email = batch.getChild('email')?.get(i) as string | null;
    const country = batch.getChild('country')?.get(i) as string | null;
    if (email && country && withTickets.has(String(batch.getChild('id')?.get(i)))) return { email, country };
  }
  throw new Error('no customer with tickets in the first 200 rows');
}

/** Runs the CLI with `input` on stdin. */
function runCliWithStdin(args: string[], cwd: string, input: string): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('pipeline usage on the demo', () => {
  let dir: string;
  let subject: string;
  let runId: string;
  const customer = customerWithTickets();
  const outputs: string[] = [];

  const usage = async (args: string[]): Promise<CliResult> => {
    const result = await runCli(['usage', ...args], { cwd: dir });
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    dir = await demoProject();
    const run = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    runId = JSON.parse(run.stdout).run_id;
    subject = JSON.parse(await readFile(join(dir, 'out/demo/manifest.json'), 'utf8')).identity.subject;
    const indexed = await usage(['index', 'out', '--json']);
    expect(indexed.code, indexed.stderr).toBe(0);
  });

  it('indexes the demo manifest (verified) and the audit log, and re-indexing changes nothing', async () => {
    const again = await usage(['index', 'out', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.manifests).toEqual([
      expect.objectContaining({ run_id: runId, action: 'unchanged', verification: 'ok' }),
    ]);
    expect(json.audit).toMatchObject({ log: join(dir, '.sluice/audit.jsonl'), added: 0 });
    expect(json.audit.read).toBeGreaterThan(0);
    expect(await readdir(join(dir, '.sluice'))).toContain('usage.duckdb');
  });

  it('lists the demo run for demo.customers.email with mask hmac and key id demo', async () => {
    const result = await usage(['column', 'demo.customers.email', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.runs).toHaveLength(1);
    expect(json.runs[0].run).toMatchObject({ run_id: runId, subject, pipeline: 'support-tickets-demo' });
    expect(json.runs[0].landed_in).toEqual([
      expect.objectContaining({
        output_column: 'email_token',
        path: join(dir, 'out/demo/tickets.parquet'),
        masks: [{ mask: 'hmac', key_id: 'demo', params: { output: 'hex', length: 32 } }],
      }),
    ]);
    expect(json.decisions.length).toBeGreaterThan(0);
    const text = await usage(['column', 'demo.customers.email']);
    expect(text.stdout).toContain('email_token (hmac key demo');
  });

  it('lists what the identity that ran the demo read', async () => {
    const result = await usage(['identity', subject, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.runs.map((r: { run: { run_id: string } }) => r.run.run_id)).toEqual([runId]);
    expect(json.runs[0].columns).toContainEqual(
      expect.objectContaining({
        column: 'demo.customers.email',
        output_column: 'email_token',
        masks: ['hmac(demo)'],
      }),
    );
    const nobody = await usage(['identity', 'nobody-at-all', '--json']);
    expect(JSON.parse(nobody.stdout).runs).toEqual([]);
  });

  it('resolves the manifest a model card references', async () => {
    const card = join(dir, 'README.md');
    await writeFile(card, '---\nlicense: apache-2.0\n---\n# Support assistant\n');
    const attach = await runCli(['manifest', 'attach', 'out/demo/manifest.json', '--model-card', card], {
      cwd: dir,
    });
    expect(attach.code, attach.stderr).toBe(0);
    const result = await usage(['model-card', card, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.references).toEqual([
      expect.objectContaining({ status: 'indexed', run: expect.objectContaining({ run_id: runId }) }),
    ]);
    expect(json.references[0].outputs[0].path).toBe(join(dir, 'out/demo/tickets.parquet'));
  });

  it('finds a data subject by the token of their email in email_token', async () => {
    const result = await usage([
      'subject',
      '--column',
      'customers.email',
      '--value',
      customer.email,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    const hit = json.datasets.find((d: { output_column: string }) => d.output_column === 'email_token');
    expect(hit).toMatchObject({
      status: 'found',
      method: 'token',
      mask: 'hmac',
      key_id: 'demo',
      run_id: runId,
    });
    expect(hit.rows).toBeGreaterThan(0);
  });

  it('reads the value from a file or stdin', async () => {
    const file = join(dir, 'subject.txt');
    await writeFile(file, `${customer.email}\n`);
    const fromFile = await usage(['subject', '--column', 'customers.email', '--value-file', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('FOUND');
    const fromStdin = await runCliWithStdin(
      ['usage', 'subject', '--column', 'customers.email'],
      dir,
      customer.email,
    );
    outputs.push(fromStdin.stdout, fromStdin.stderr);
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toContain('FOUND');
  });

  it('finds nothing for a made-up email', async () => {
    const result = await usage([
      'subject',
      '--column',
      'customers.email',
      '--value',
      'nobody.here@nowhere.invalid',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.datasets.map((d: { status: string }) => d.status)).toEqual(['not_found']);
  });

  it('searches an unmasked column for the raw value and reports a redacted one as not identifiable', async () => {
    const country = await usage([
      'subject',
      '--column',
      'customers.country',
      '--value',
      customer.country,
      '--json',
    ]);
    expect(JSON.parse(country.stdout).datasets).toEqual([
      expect.objectContaining({ method: 'raw', status: 'found', output_column: 'country' }),
    ]);
    const name = await usage(['subject', '--column', 'customers.full_name', '--value', 'Jane Doe', '--json']);
    expect(JSON.parse(name.stdout).datasets).toEqual([
      expect.objectContaining({ status: 'not_identifiable', mask: 'redact' }),
    ]);
  });

  it('never prints or stores the raw value', async () => {
    for (const text of outputs) expect(text).not.toContain(customer.email);
    const files = await readdir(join(dir, '.sluice'));
    for (const name of files.filter((f) => f.startsWith('usage.duckdb'))) {
      const bytes = await readFile(join(dir, '.sluice', name));
      expect(bytes.includes(Buffer.from(customer.email))).toBe(false);
      expect(bytes.includes(Buffer.from('nobody.here@nowhere.invalid'))).toBe(false);
    }
  });
});
