import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyAuditLog } from './verify-audit-log.js';

// The built module (npm test builds first), so each writer is a plain Node process.
const MODULE = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/evidence/audit-log.js')).href;

function writer(path: string, name: string, count: number): Promise<number | null> {
  const script = `
    const { AuditLog } = await import(${JSON.stringify(MODULE)});
    const log = await AuditLog.open(${JSON.stringify(path)});
    for (let i = 0; i < ${count}; i++)
      await log.append({ kind: 'admin', action: 'test.append', subject: ${JSON.stringify(name)}, details: { i } });
    await log.close();
  `;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    child.on('error', fail);
    child.on('close', done);
  });
}

describe('an audit log shared by several processes', () => {
  it('keeps one unbroken chain when processes append at the same time', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sluice-audit-')), 'audit.jsonl');
    const codes = await Promise.all(['a', 'b', 'c', 'd'].map((name) => writer(path, name, 40)));
    expect(codes).toEqual([0, 0, 0, 0]);
    const result = await verifyAuditLog(path);
    expect(result.problem).toBeUndefined();
    expect(result).toMatchObject({ ok: true, records: 160 });
  });
});
