import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  readLogLines,
  sampleEvents,
  tempDir,
  writeLogLines,
  writeSampleLog,
} from '../../evidence/audit-test-fixture.js';
import { generateSigningKeyPair, signingKeyFrom } from '../../evidence/signing.js';
import { auditCommand } from './audit.js';

let stdout = '';
let stderr = '';

beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<void> {
  await auditCommand().parseAsync(args, { from: 'user' });
}

async function sampleLog(): Promise<string> {
  const path = join(await tempDir(), 'audit.jsonl');
  await writeSampleLog(path);
  return path;
}

describe('pipeline audit verify', () => {
  it('exits 0 and says the log is intact', async () => {
    const path = await sampleLog();
    await run('verify', path);
    expect(process.exitCode).toBeUndefined();
    expect(stdout).toMatch(
      new RegExp(`is intact: ${sampleEvents.length} records, head [0-9a-f]{64}, no signed checkpoints`),
    );
  });

  it('exits 5 and names the first bad line of an edited log', async () => {
    const path = await sampleLog();
    const lines = await readLogLines(path);
    lines[2] = (lines[2] ?? '').replace('"verdict":"allow"', '"verdict":"deny"');
    await writeLogLines(path, lines);
    await run('verify', path, '--json');
    expect(process.exitCode).toBe(5);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ ok: false, records: 2, first_bad_line: 3, reason: 'hash_mismatch' });
  });

  it('checks checkpoint signatures with --public-key and reports the key count', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    const pair = generateSigningKeyPair();
    await writeSampleLog(path, { signingKey: signingKeyFrom(pair.privateKeyPem), checkpointEvery: 5 });
    await writeFile(join(dir, 'audit.pub.pem'), pair.publicKeyPem);
    await run('verify', path);
    expect(stdout).toContain('2 checkpoints, signatures not checked (give --public-key)');
    stdout = '';
    await run('verify', path, '--public-key', join(dir, 'audit.pub.pem'));
    expect(stdout).toContain('2 of 2 checkpoint signatures verified');
    const other = generateSigningKeyPair();
    await writeFile(join(dir, 'other.pub.pem'), other.publicKeyPem);
    stdout = '';
    await run('verify', path, '--json', '--public-key', `${pair.keyId}=${join(dir, 'other.pub.pem')}`);
    expect(process.exitCode).toBe(5);
    expect(JSON.parse(stdout)).toMatchObject({ first_bad_line: 6, reason: 'bad_checkpoint' });
  });

  it('exits 5 when a recorded head is missing from the log', async () => {
    const path = await sampleLog();
    const lines = await readLogLines(path);
    const head = (JSON.parse(lines.at(-1) ?? '') as { hash: string }).hash;
    await writeLogLines(path, lines.slice(0, -1));
    await run('verify', path, '--expected-head', head);
    expect(process.exitCode).toBe(5);
    expect(stdout).toContain('trailing lines were removed');
  });

  it('fails with CONFIG_NOT_FOUND for a missing log', async () => {
    await expect(run('verify', join(await tempDir(), 'none.jsonl'))).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
    });
  });
});

describe('pipeline audit query', () => {
  it('prints matching records one per line', async () => {
    const path = await sampleLog();
    await run('query', path, '--table', 'public.payments');
    expect(stdout.trimEnd().split('\n')).toEqual([
      '#8 2024-05-01T10:07:00.000Z decision agent:trainer-7 (for bob@example.com) deny demo.public.payments',
    ]);
  });

  it('prints one JSON document with --json and combines filters', async () => {
    const path = await sampleLog();
    await run(
      'query',
      path,
      '--kind',
      'decision',
      '--kind',
      'extraction_finished',
      '--since',
      '2024-05-01T10:03:00Z',
      '--json',
    );
    const doc = JSON.parse(stdout) as { count: number; records: { seq: number }[] };
    expect(doc.count).toBe(2);
    expect(doc.records.map((r) => r.seq)).toEqual([5, 8]);
  });

  it('says when nothing matches and refuses a bad limit', async () => {
    const path = await sampleLog();
    await run('query', path, '--subject', 'mallory');
    expect(stdout).toBe('no matching records\n');
    await expect(run('query', path, '--limit', '0')).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('pipeline audit export', () => {
  it('writes CSV to stdout and the verification summary to stderr', async () => {
    const path = await sampleLog();
    await run('export', path, '--since', '2024-05-01', '--until', '2024-05-02', '--format', 'csv');
    expect(stdout.split('\r\n')[0]).toMatch(/^ts,seq,decision_hash,subject,/);
    expect(stdout.split('\r\n')).toHaveLength(4);
    expect(stderr).toMatch(/2 accesses exported; audit log `.*` is intact/);
    expect(process.exitCode).toBeUndefined();
  });

  it('writes JSONL atomically to --out and prints a JSON summary', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    await writeSampleLog(path);
    const out = join(dir, 'export', 'access.jsonl');
    await run(
      'export',
      path,
      '--since',
      '2024-05-01',
      '--until',
      '2024-05-02',
      '--format',
      'jsonl',
      '--out',
      out,
      '--json',
    );
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ out, format: 'jsonl', accesses: 2, verification: { ok: true } });
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
  });

  it('exits 5 after exporting from a log that does not verify', async () => {
    const path = await sampleLog();
    const lines = await readLogLines(path);
    lines.splice(4, 1);
    await writeLogLines(path, lines);
    await run('export', path, '--since', '2024-05-01', '--until', '2024-05-02');
    expect(process.exitCode).toBe(5);
    expect(stderr).toMatch(/does NOT verify: line 5 has seq 6/);
  });

  it('refuses a missing window, an unknown format and --json without --out', async () => {
    const path = await sampleLog();
    await expect(run('export', path, '--since', '2024-05-01')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      run('export', path, '--since', 'a', '--until', 'b', '--format', 'xml'),
    ).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(
      run('export', path, '--since', '2024-05-01', '--until', '2024-05-02', '--json'),
    ).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(run('export', path, '--since', 'yesterday', '--until', '2024-05-02')).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
