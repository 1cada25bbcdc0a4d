import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSecretResolver } from '../core/secrets.js';
import { createKeyRing, keyRefSchema } from './key-ring.js';

const HEX_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('key ring', () => {
  it('loads hex, base64 and utf8 keys from environment variables and files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-keys-'));
    await writeFile(join(dir, 'k.b64'), `${Buffer.from(HEX_KEY, 'hex').toString('base64')}\n`);
    const env = { K_HEX: HEX_KEY, K_UTF8: 'a passphrase of some length' };
    const ring = createKeyRing(
      {
        hex: { env: 'K_HEX' },
        b64: { file: 'k.b64', encoding: 'base64' },
        text: { env: 'K_UTF8', encoding: 'utf8' },
      },
      createSecretResolver(dir, env),
    );
    expect(ring.ids()).toEqual(['hex', 'b64', 'text']);
    expect(Buffer.from(await ring.get('hex')).toString('hex')).toBe(HEX_KEY);
    expect(Buffer.from(await ring.get('b64')).toString('hex')).toBe(HEX_KEY);
    expect(Buffer.from(await ring.get('text')).toString('utf8')).toBe('a passphrase of some length');
  });

  it('rejects short, badly encoded, missing and unknown keys with KEY_INVALID naming the key id but not the key', async () => {
    const env = { SHORT: 'abcdef0123', BAD: 'zz'.repeat(20) };
    const ring = createKeyRing(
      { short: { env: 'SHORT' }, bad: { env: 'BAD' }, missing: { env: 'NOT_SET' } },
      createSecretResolver('.', env),
    );
    const short = await failure(ring.get('short'));
    expect(short.code).toBe('KEY_INVALID');
    expect(short.message).toContain('`short`');
    expect(short.message).toContain('5 bytes');
    expect(short.message).not.toContain(env.SHORT);
    const bad = await failure(ring.get('bad'));
    expect(bad.code).toBe('KEY_INVALID');
    expect(bad.message).toContain('`bad`');
    expect(bad.message).not.toContain(env.BAD);
    const missing = await failure(ring.get('missing'));
    expect(missing.code).toBe('KEY_INVALID');
    expect(missing.message).toMatch(/`missing`.*NOT_SET/);
    const unknown = await failure(ring.get('other'));
    expect(unknown.code).toBe('KEY_INVALID');
    expect(unknown.message).toContain('`other`');
  });

  it('never shows key material when printed or serialised', async () => {
    const ring = createKeyRing({ k: { env: 'K' } }, createSecretResolver('.', { K: HEX_KEY }));
    await ring.get('k');
    expect(JSON.stringify(ring)).not.toContain(HEX_KEY.slice(0, 8));
    expect(inspect(ring, { depth: 5, showHidden: true })).not.toContain(HEX_KEY.slice(0, 8));
  });

  it('hands out copies, so changing a returned key does not change the ring', async () => {
    const ring = createKeyRing({ k: { env: 'K' } }, createSecretResolver('.', { K: HEX_KEY }));
    (await ring.get('k')).fill(0);
    expect(Buffer.from(await ring.get('k')).toString('hex')).toBe(HEX_KEY);
  });

  it('accepts env or file references and rejects inline keys', () => {
    expect(keyRefSchema.parse({ env: 'K' })).toEqual({ env: 'K', encoding: 'hex' });
    expect(keyRefSchema.safeParse({ value: HEX_KEY }).success).toBe(false);
    expect(keyRefSchema.safeParse({ env: 'K', file: 'f' }).success).toBe(false);
  });
});
