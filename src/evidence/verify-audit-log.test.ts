import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordHash } from './audit-chain.js';
import { readLogLines, sampleEvents, tempDir, writeLogLines, writeSampleLog } from './audit-test-fixture.js';
import { generateSigningKeyPair, signingKeyFrom } from './signing.js';
import { verifyAuditLog } from './verify-audit-log.js';

const N = sampleEvents.length;

async function sampleLog(): Promise<{ path: string; lines: string[]; head: string | null }> {
  const path = join(await tempDir(), 'audit.jsonl');
  const head = await writeSampleLog(path);
  return { path, lines: await readLogLines(path), head };
}

function at(lines: string[], i: number): string {
  const line = lines[i];
  if (line === undefined) throw new Error(`no line ${i}`);
  return line;
}

describe('verifyAuditLog', () => {
  it('accepts an intact log and an empty one', async () => {
    const { path, head } = await sampleLog();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: N, head });
    const empty = join(await tempDir(), 'empty.jsonl');
    await writeFile(empty, '');
    expect(await verifyAuditLog(empty)).toEqual({
      ok: true,
      records: 0,
      head: null,
      checkpoints: { total: 0, verified: 0 },
    });
  });

  it('names the line whose value was edited', async () => {
    const { path, lines } = await sampleLog();
    lines[4] = at(lines, 4).replace('"rows":1000', '"rows":10');
    await writeLogLines(path, lines);
    const result = await verifyAuditLog(path);
    expect(result).toMatchObject({ ok: false, firstBadLine: 5, reason: 'hash_mismatch', records: 4 });
    expect(result.problem).toBe(
      'line 5 does not match its own `hash`: the record was edited after it was written',
    );
  });

  it('names the line after a deleted line', async () => {
    const { path, lines } = await sampleLog();
    lines.splice(3, 1);
    await writeLogLines(path, lines);
    const result = await verifyAuditLog(path);
    expect(result).toMatchObject({ ok: false, firstBadLine: 4, reason: 'seq_mismatch' });
    expect(result.problem).toMatch(/^line 4 has seq 5 where 4 was expected: a line before it was removed/);
  });

  it('names an inserted copy of a line', async () => {
    const { path, lines } = await sampleLog();
    lines.splice(3, 0, at(lines, 2));
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, firstBadLine: 4, reason: 'seq_mismatch' });
  });

  it('names the first of two swapped lines', async () => {
    const { path, lines } = await sampleLog();
    [lines[5], lines[6]] = [at(lines, 6), at(lines, 5)];
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, firstBadLine: 6, reason: 'seq_mismatch' });
  });

  it('catches a deleted line even when the attacker renumbered and rehashed that one line', async () => {
    const { path, lines } = await sampleLog();
    lines.splice(3, 1);
    const moved = JSON.parse(at(lines, 3)) as Record<string, unknown>;
    moved.seq = 4;
    moved.hash = recordHash(moved);
    lines[3] = JSON.stringify(moved);
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      firstBadLine: 4,
      reason: 'prev_hash_mismatch',
    });
  });

  it('names a last line cut short', async () => {
    const { path } = await sampleLog();
    await truncate(path, (await readFile(path)).length - 20);
    const result = await verifyAuditLog(path);
    expect(result).toMatchObject({ ok: false, firstBadLine: N, reason: 'partial_line', records: N - 1 });
  });

  it('names a removed final newline as an incomplete line', async () => {
    const { path } = await sampleLog();
    await truncate(path, (await readFile(path)).length - 1);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, firstBadLine: N, reason: 'partial_line' });
  });

  it('cannot see whole trailing lines removed on its own, but can against a recorded head', async () => {
    const { path, lines, head } = await sampleLog();
    await writeLogLines(path, lines.slice(0, -2));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: N - 2 });
    const result = await verifyAuditLog(path, { expectedHead: head ?? '' });
    expect(result).toMatchObject({ ok: false, firstBadLine: N - 1, reason: 'head_not_found' });
    expect(result.problem).toMatch(/trailing lines were removed or the chain was rewritten/);
  });

  it('accepts a recorded head that later appends have moved past', async () => {
    const { path, lines } = await sampleLog();
    const earlier = (JSON.parse(at(lines, 3)) as { hash: string }).hash;
    expect(await verifyAuditLog(path, { expectedHead: earlier })).toMatchObject({ ok: true, records: N });
  });

  it('names reformatted lines and duplicate keys that a lenient parser would accept', async () => {
    const { path, lines } = await sampleLog();
    const line = at(lines, 7);
    lines[7] = line.replace('"verdict":"deny"', '"verdict":"allow","verdict":"deny"');
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      firstBadLine: 8,
      reason: 'not_normal_form',
    });
    lines[7] = line.replace('{', '{ ');
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      firstBadLine: 8,
      reason: 'not_normal_form',
    });
    lines[7] = `${line}\r`;
    await writeLogLines(path, lines);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      firstBadLine: 8,
      reason: 'not_normal_form',
    });
  });

  it('names garbage and blank lines', async () => {
    const { path, lines } = await sampleLog();
    await writeLogLines(path, [...lines.slice(0, 2), '', ...lines.slice(2)]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, firstBadLine: 3, reason: 'unparseable' });
    await writeFile(path, Buffer.concat([Buffer.from(`${at(lines, 0)}\n`), Buffer.from([0xff, 0xfe, 0x0a])]));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      firstBadLine: 2,
      problem: 'line 2 is not valid UTF-8',
    });
  });

  it('names a checkpoint with a bad signature, an unknown key, or a moved head', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const key = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    await writeSampleLog(path, { signingKey: key, checkpointEvery: 4 });
    const trusted = { [key.keyId]: key.publicKey };
    const lines = await readLogLines(path);
    // Line 5 is the first checkpoint: re-sign nothing, just corrupt its signature and rehash the line.
    const checkpoint = JSON.parse(at(lines, 4)) as Record<string, unknown>;
    const sig = Buffer.from(String(checkpoint.sig), 'base64');
    sig[0] = (sig[0] ?? 0) ^ 0xff;
    const forged: Record<string, unknown> = { ...checkpoint, sig: sig.toString('base64') };
    forged.hash = recordHash(forged);
    const rest = lines.slice(5);
    await writeLogLines(path, [...lines.slice(0, 4), JSON.stringify(forged), ...rest]);
    // The forged line's own hash is fine, so the chain breaks at line 6; the signature at line 5.
    expect(await verifyAuditLog(path, { publicKeys: trusted })).toMatchObject({
      ok: false,
      firstBadLine: 5,
      reason: 'bad_checkpoint',
      problem: `line 5 is a checkpoint whose signature does not verify with key \`${key.keyId}\``,
    });

    await writeLogLines(path, lines);
    const other = signingKeyFrom(generateSigningKeyPair().privateKeyPem);
    expect(await verifyAuditLog(path, { publicKeys: { [other.keyId]: other.publicKey } })).toMatchObject({
      ok: false,
      firstBadLine: 5,
      problem: expect.stringMatching(/not among the trusted public keys/),
    });
    const moved: Record<string, unknown> = { ...checkpoint, head: 'f'.repeat(64) };
    moved.hash = recordHash(moved);
    await writeLogLines(path, [...lines.slice(0, 4), JSON.stringify(moved), ...rest]);
    expect(await verifyAuditLog(path)).toMatchObject({
      firstBadLine: 5,
      problem: 'line 5 is a checkpoint whose `head` is not the record before it',
    });

    await writeLogLines(path, lines);
    // Without keys only the shape of checkpoints is checked, and the result says none was verified.
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, checkpoints: { total: 3, verified: 0 } });
  });

  it('reports a missing file as a usage problem, not as a broken chain', async () => {
    await expect(verifyAuditLog(join(await tempDir(), 'nope.jsonl'))).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
    });
  });
});
