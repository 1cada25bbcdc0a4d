import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from './audit-event.js';
import { type AuditQuery, queryAuditLog } from './audit-query.js';
import { readLogLines, tempDir, writeLogLines, writeSampleLog } from './audit-test-fixture.js';
import { ACCESS_CSV_COLUMNS, accessHistory, exportAccessHistory } from './export-access-history.js';

async function sampleLog(): Promise<string> {
  const path = join(await tempDir(), 'audit.jsonl');
  await writeSampleLog(path);
  return path;
}

async function seqs(path: string, query: AuditQuery): Promise<number[]> {
  const out: number[] = [];
  for await (const record of queryAuditLog(path, query)) out.push(record.seq);
  return out;
}

describe('queryAuditLog', () => {
  it('filters by subject, including the human an agent acted for', async () => {
    const path = await sampleLog();
    expect(await seqs(path, { subject: 'alice@example.com' })).toEqual([1, 2, 3]);
    expect(await seqs(path, { subject: 'bob@example.com' })).toEqual([8]);
    expect(await seqs(path, { subject: 'security-team' })).toEqual([9]);
    expect(await seqs(path, { subject: 'alice' })).toEqual([]);
  });

  it('filters by table as a full name, a dot-bounded suffix or a glob, ignoring case', async () => {
    const path = await sampleLog();
    expect(await seqs(path, { table: 'demo.public.customers' })).toEqual([3]);
    expect(await seqs(path, { table: 'public.customers' })).toEqual([3]);
    expect(await seqs(path, { table: 'Customers' })).toEqual([3]);
    expect(await seqs(path, { table: 'omers' })).toEqual([]);
    expect(await seqs(path, { table: '*pay*' })).toEqual([8]);
    expect(await seqs(path, { table: 'demo.*' })).toEqual([3, 8]);
  });

  it('filters by outcome, kind and a half-open time window', async () => {
    const path = await sampleLog();
    expect(await seqs(path, { outcome: 'deny' })).toEqual([8]);
    expect(await seqs(path, { outcome: 'failure' })).toEqual([7]);
    expect(await seqs(path, { kind: 'decision' })).toEqual([3, 8]);
    expect(await seqs(path, { kind: ['authentication', 'admin'] })).toEqual([1, 7, 9]);
    expect(await seqs(path, { since: '2024-05-01T10:02:00Z', until: '2024-05-01T10:05:00Z' })).toEqual([
      3, 4, 5,
    ]);
    expect(await seqs(path, { kind: 'decision', since: new Date('2024-05-01T10:03:00Z') })).toEqual([8]);
  });

  it('rejects a time it cannot read and a line that is not a record', async () => {
    const path = await sampleLog();
    await expect(seqs(path, { since: 'last tuesday' })).rejects.toMatchObject({ code: 'USAGE' });
    const lines = await readLogLines(path);
    await writeLogLines(path, [...lines.slice(0, 2), 'garbage', ...lines.slice(2)]);
    await expect(seqs(path, {})).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: /Line 3 of audit log/,
    });
  });
});

describe('access history export', () => {
  it('joins each decision to the extraction it allowed', async () => {
    const path = await sampleLog();
    const { rows, verification } = await accessHistory(path, {});
    expect(verification.ok).toBe(true);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      seq: 3,
      subject: 'alice@example.com',
      verdict: 'allow',
      relations: ['public.customers'],
      rows: 1000,
      bytes: 64000,
      outcome: 'succeeded',
      chain_verified: true,
    });
    expect(rows[1]).toMatchObject({
      subject: 'agent:trainer-7',
      on_behalf_of: 'bob@example.com',
      verdict: 'deny',
      rows: null,
    });
  });

  it('writes CSV with a fixed header, joined lists and quoting', async () => {
    const path = await sampleLog();
    let text = '';
    const result = await exportAccessHistory(path, {
      since: '2024-05-01',
      until: '2024-05-02',
      format: 'csv',
      write: (chunk) => {
        text += chunk;
      },
    });
    expect(result).toMatchObject({ accesses: 2, verification: { ok: true, records: 9 } });
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(ACCESS_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',alice@example.com,,,oidc,true,churn-model,demo,public.customers,');
    expect(lines[1]).toContain(',email=hash_sha256@k1,run-1,customers,1000,64000,120,succeeded,true');
    expect(lines[2]).toContain(
      ',column `public.payments.card_number` (class pci) needs mask `redact` or `tokenize`,',
    );
    expect(lines[3]).toBe('');
  });

  it('keeps the window half-open and writes a verification line after JSONL rows', async () => {
    const path = await sampleLog();
    let text = '';
    await exportAccessHistory(path, {
      since: '2024-05-01T10:03:00Z',
      until: '2024-05-01T10:07:00Z',
      format: 'jsonl',
      write: (chunk) => {
        text += chunk;
      },
    });
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        record_type: 'verification',
        accesses: 0,
        ok: true,
        since: '2024-05-01T10:03:00.000Z',
        until: '2024-05-01T10:07:00.000Z',
      }),
    ]);
  });

  it('marks rows after the first bad line as not covered by the chain', async () => {
    const path = await sampleLog();
    const lines = await readLogLines(path);
    lines[5] = (lines[5] ?? '').replace('"rows_written":1000', '"rows_written":1');
    await writeLogLines(path, lines);
    let text = '';
    const result = await exportAccessHistory(path, {
      format: 'jsonl',
      write: (chunk) => {
        text += chunk;
      },
    });
    expect(result.verification).toMatchObject({ ok: false, firstBadLine: 6 });
    const records = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => [r.record_type, r.chain_verified ?? r.ok])).toEqual([
      ['access', true],
      ['access', false],
      ['verification', false],
    ]);
    expect(records[2]).toMatchObject({ first_bad_line: 6, problem: expect.stringMatching(/^line 6 /) });
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const { AuditLog } = await import('./audit-log.js');
    const log = await AuditLog.open(path);
    const decision: DecisionEvent = {
      kind: 'decision',
      identity: {
        subject: '=HYPERLINK("http://x")',
        issuer: 'i',
        method: 'token',
        groups: [],
        verified: true,
      },
      purpose: '+p',
      connection: 'c',
      relations: ['s.t'],
      columns: [],
      verdict: 'allow',
      reasons: ['a, b'],
      policy_version: 'v',
      masks: [],
    };
    await log.append(decision);
    await log.close();
    let text = '';
    await exportAccessHistory(path, {
      format: 'csv',
      write: (chunk) => {
        text += chunk;
      },
    });
    expect(text).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(text).toContain(",'+p,");
    expect(text).toContain(',"a, b",');
  });
});
