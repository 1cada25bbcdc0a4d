import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, recordHash } from './audit-chain.js';
import type { AuditEventInput } from './audit-event.js';
import { AuditLog } from './audit-log.js';
import { minuteClock, readLogLines, sampleEvents, tempDir, writeSampleLog } from './audit-test-fixture.js';
import { canonicalHash } from './canonical-json.js';
import { generateSigningKeyPair, signingKeyFrom } from './signing.js';
import { verifyAuditLog } from './verify-audit-log.js';

describe('AuditLog', () => {
  it('writes one JSON line per event, each chained to the one before', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const head = await writeSampleLog(path);
    const records = (await readLogLines(path)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(sampleEvents.length);
    expect(records[0]).toMatchObject({ seq: 1, ts: '2024-05-01T10:00:00.000Z', prev_hash: GENESIS_HASH });
    expect(Object.keys(records[2] ?? {}).slice(0, 4)).toEqual(['seq', 'ts', 'prev_hash', 'kind']);
    expect(Object.keys(records[2] ?? {}).at(-1)).toBe('hash');
    records.forEach((record, i) => {
      expect(record.seq).toBe(i + 1);
      const { hash, ...rest } = record;
      expect(hash).toBe(canonicalHash(rest));
      if (i > 0) expect(record.prev_hash).toBe(records[i - 1]?.hash);
    });
    expect(head).toBe(records.at(-1)?.hash);
    expect(await verifyAuditLog(path)).toEqual({
      ok: true,
      records: sampleEvents.length,
      head,
      checkpoints: { total: 0, verified: 0 },
    });
  });

  it('returns the written record from append and reports the head', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path);
    expect(log.head()).toBeNull();
    const record = await log.append({
      kind: 'admin',
      action: 'token.created',
      subject: 'ops',
      details: { n: 1 },
    });
    expect(record).toMatchObject({ seq: 1, kind: 'admin', action: 'token.created', prev_hash: GENESIS_HASH });
    expect(log.head()).toBe(record.hash);
    expect(log.records).toBe(1);
    await log.close();
  });

  it('continues the chain when an existing log is opened again', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const firstHead = await writeSampleLog(path);
    const log = await AuditLog.open(path);
    expect(log.head()).toBe(firstHead);
    const record = await log.append({ kind: 'admin', action: 'policy.changed', subject: 'sec', details: {} });
    await log.close();
    expect(record.seq).toBe(sampleEvents.length + 1);
    expect(record.prev_hash).toBe(firstHead);
    expect((await verifyAuditLog(path)).ok).toBe(true);
  });

  it('keeps the call order of concurrent appends and never forks the chain', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path);
    const other = await AuditLog.open(path);
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 3 === 0 ? other : log).append({ kind: 'admin', action: `a.${i}`, subject: 's', details: { i } }),
    );
    const records = await Promise.all(writes);
    await log.close();
    await other.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const lines = (await readLogLines(path)).map((l) => JSON.parse(l) as { details: { i: number } });
    expect(lines.map((l) => l.details.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 40 });
  });

  it('continues after lines another writer appended since the last write', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path);
    await log.append({ kind: 'admin', action: 'a.1', subject: 's', details: {} });
    // Another process appends a record of its own, chained to ours.
    const lines = await readLogLines(path);
    const first = JSON.parse(lines[0] ?? '') as { hash: string };
    const body = {
      seq: 2,
      ts: new Date().toISOString(),
      prev_hash: first.hash,
      kind: 'admin',
      action: 'x.2',
      subject: 'p2',
      details: {},
    };
    await appendFile(path, `${JSON.stringify({ ...body, hash: recordHash(body) })}\n`);
    const third = await log.append({ kind: 'admin', action: 'a.3', subject: 's', details: {} });
    await log.close();
    expect(third.seq).toBe(3);
    expect((await verifyAuditLog(path)).ok).toBe(true);
  });

  it('refuses to append after the open file shrank or another writer broke the chain', async () => {
    const dir = await tempDir();
    const shrunk = join(dir, 'shrunk.jsonl');
    const log = await AuditLog.open(shrunk);
    for (const event of sampleEvents.slice(0, 3)) await log.append(event);
    const lines = await readLogLines(shrunk);
    await writeFile(shrunk, `${lines[0]}\n`);
    await expect(log.append({ kind: 'x.y' })).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: expect.stringMatching(/shrank from \d+ to \d+ bytes while open/),
    });
    await log.close();

    const forked = join(dir, 'forked.jsonl');
    const first = await AuditLog.open(forked);
    await first.append({ kind: 'x.a' });
    const body = { seq: 2, ts: new Date().toISOString(), prev_hash: 'e'.repeat(64), kind: 'x.b' };
    await appendFile(forked, `${JSON.stringify({ ...body, hash: recordHash(body) })}\n`);
    await expect(first.append({ kind: 'x.c' })).rejects.toThrow(
      /a line another writer appended has a `prev_hash`/,
    );
    await first.close();
  });

  it('refuses to open a log whose last line was edited, cut short or does not follow the line before', async () => {
    const dir = await tempDir();
    const edited = join(dir, 'edited.jsonl');
    await writeSampleLog(edited);
    const text = await readFile(edited, 'utf8');
    await writeFile(edited, text.replace('"rules":4', '"rules":5'));
    await expect(AuditLog.open(edited)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: expect.stringMatching(
        /`.*edited\.jsonl` does not verify \(its last line does not match its own `hash`/,
      ),
    });

    const torn = join(dir, 'torn.jsonl');
    await writeSampleLog(torn);
    await truncate(torn, (await readFile(torn)).length - 10);
    await expect(AuditLog.open(torn)).rejects.toThrow(/last line is incomplete/);

    const swapped = join(dir, 'swapped.jsonl');
    await writeSampleLog(swapped);
    const lines = await readLogLines(swapped);
    const [a, b] = [lines.at(-2) ?? '', lines.at(-1) ?? ''];
    await writeFile(swapped, [...lines.slice(0, -2), b, a].map((l) => `${l}\n`).join(''));
    await expect(AuditLog.open(swapped)).rejects.toThrow(/last line does not follow the line before it/);
    // Nothing was appended to any of them.
    expect((await readLogLines(swapped)).length).toBe(sampleEvents.length);
  });

  it('refuses the whole-chain check on open when a middle line was edited', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    await writeSampleLog(path);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"rows":1000', '"rows":10'));
    // The default check reads only the tail, so it opens.
    const log = await AuditLog.open(path);
    expect(log).toBeInstanceOf(AuditLog);
    await log.close();
    await expect(AuditLog.open(path, { verifyOnOpen: 'full' })).rejects.toThrow(
      /line 5 does not match its own `hash`/,
    );
  });

  it('refuses events that set the fields the log owns or pose as checkpoints', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path);
    const bad = {
      kind: 'admin',
      action: 'x',
      subject: 's',
      details: {},
      seq: 9,
    } as unknown as AuditEventInput;
    await expect(log.append(bad)).rejects.toThrow(/field `seq`, which the audit log sets itself/);
    await expect(log.append({ kind: 'checkpoint' } as unknown as AuditEventInput)).rejects.toThrow(
      /written only by/,
    );
    await expect(log.append({ kind: 'x.y', n: Number.NaN })).rejects.toThrow(/canonical JSON/);
    // A refused event leaves the log usable.
    await log.append({ kind: 'approval.granted', approval_id: 'a-1', approver: 'carol' });
    await log.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
    await expect(log.append({ kind: 'x.y' })).rejects.toThrow(/is closed/);
  });

  it('writes signed checkpoints every N records and on close', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const pair = generateSigningKeyPair();
    const key = signingKeyFrom(pair.privateKeyPem);
    await writeSampleLog(path, { signingKey: key, checkpointEvery: 4 });
    const records = (await readLogLines(path)).map((l) => JSON.parse(l) as Record<string, unknown>);
    const checkpoints = records.filter((r) => r.kind === 'checkpoint');
    // 9 events: checkpoints after 4 and 8 events, and one on close after the 9th.
    expect(checkpoints.map((c) => c.records)).toEqual([4, 9, 11]);
    expect(checkpoints[0]).toMatchObject({ key_id: pair.keyId, head: records[3]?.hash, seq: 5 });
    const result = await verifyAuditLog(path, { publicKeys: { [key.keyId]: key.publicKey } });
    expect(result).toMatchObject({ ok: true, records: 12, checkpoints: { total: 3, verified: 3 } });
    // Reopening a log that ends in a checkpoint and closing it again adds nothing.
    const again = await AuditLog.open(path, { signingKey: key });
    await again.close();
    expect((await readLogLines(path)).length).toBe(12);
  });

  it('requires a signing key for checkpoints and a positive interval', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    await expect(AuditLog.open(path, { checkpointEvery: 10 })).rejects.toThrow(/has no signing key/);
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    await expect(AuditLog.open(path, { signingKey: key, checkpointEvery: 0 })).rejects.toThrow(
      /positive integer/,
    );
  });

  it('verifies any JSON payload it was given (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 5 }),
        async (payloads) => {
          const path = join(dir, `p${n++}.jsonl`);
          const log = await AuditLog.open(path, { now: minuteClock() });
          for (const payload of payloads) {
            const { seq: _s, ts: _t, prev_hash: _p, hash: _h, kind: _k, ...rest } = payload;
            await log.append({ ...rest, kind: 'test.payload' } as AuditEventInput);
          }
          await log.close();
          const result = await verifyAuditLog(path);
          expect(result).toMatchObject({ ok: true, records: payloads.length });
        },
      ),
      { numRuns: 25 },
    );
  });
});
