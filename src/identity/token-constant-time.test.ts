import * as crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateApiToken } from './api-token.js';
import { createToken } from './create-token.js';
import { TokenAuthenticator } from './token-authenticator.js';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

let dir: string;
const tokens: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-ct-'));
  for (const subject of ['a', 'b', 'c', 'd']) {
    tokens.push((await createToken(join(dir, 'tokens.jsonl'), { subject, createdBy: 'root' })).token);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('API token lookup', () => {
  it('compares the hash with every stored hash in constant time, also after a match', async () => {
    const auth = new TokenAuthenticator({ type: 'token', tokens_file: 'tokens.jsonl' }, { baseDir: dir });
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const token of [tokens[0] as string, tokens[3] as string, generateApiToken()]) {
      compare.mockClear();
      await auth.authenticate(token).catch(() => undefined);
      expect(compare).toHaveBeenCalledTimes(4);
      for (const [a, b] of compare.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });
});
