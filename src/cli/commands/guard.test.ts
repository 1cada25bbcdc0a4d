import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SluiceError } from '../../core/errors.js';
import { guardCommand } from './guard.js';

let stdout: string;

beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<void> {
  await guardCommand().exitOverride().parseAsync(args, { from: 'user' });
}

describe('pipeline guard', () => {
  it('prints the verdict, relations, columns, functions and lineage of an allowed query and exits 0', async () => {
    await run('--sql', 'SELECT c.id, lower(c.email) AS email FROM crm.customers c');
    expect(process.exitCode).toBeUndefined();
    expect(stdout).toContain('verdict: ALLOW');
    expect(stdout).toContain('relations: crm.customers');
    expect(stdout).toContain('crm.customers: id, email');
    expect(stdout).toContain('functions: lower');
    expect(stdout).toMatch(/email\s+<- crm\.customers\.email \[derived\]/);
  });

  it('lists each reason with its rule id and exits 3 when denied', async () => {
    await run('--sql', 'WITH x AS (DELETE FROM t RETURNING *) SELECT pg_sleep(1) FROM x');
    expect(process.exitCode).toBe(3);
    expect(stdout).toContain('verdict: DENY (2 reasons)');
    expect(stdout).toContain('[data-modifying-cte]');
    expect(stdout).toContain('[denied-function] Function `pg_sleep` is denied');
  });

  it('prints exactly one JSON document with --json', async () => {
    await run('--sql', 'SELECT 1; DROP TABLE t', '--json');
    const doc = JSON.parse(stdout) as {
      verdict: string;
      reasons: { rule: string }[];
      facts: { statementCount: number };
    };
    expect(doc.verdict).toBe('deny');
    expect(doc.reasons.map((r) => r.rule)).toEqual(['single-statement', 'statement-kind']);
    expect(doc.facts.statementCount).toBe(2);
    expect(process.exitCode).toBe(3);
  });

  it('reads the query from --file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-guard-'));
    try {
      const file = path.join(dir, 'q.sql');
      await writeFile(file, '-- report\nSELECT count(*) FROM orders;\n');
      await run('--file', file);
      expect(stdout).toContain('verdict: ALLOW');
      expect(stdout).toContain('relations: orders');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('applies --allow-function as an allowlist', async () => {
    await run('--sql', 'SELECT upper(name) FROM customers', '--allow-function', 'lower');
    expect(process.exitCode).toBe(3);
    expect(stdout).toContain('[function-not-allowed]');
  });

  it('fails with QUERY_INVALID (exit 2) when the SQL does not parse', async () => {
    const error = await run('--sql', 'SELEC 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('QUERY_INVALID');
    expect((error as SluiceError).exitCode).toBe(2);
    expect(stdout).toBe('');
  });

  it('asks for exactly one of --sql and --file', async () => {
    await expect(run()).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run('--sql', 'SELECT 1', '--file', 'x.sql')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('names a missing query file', async () => {
    await expect(run('--file', '/nonexistent/q.sql')).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });
});
