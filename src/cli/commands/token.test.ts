import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenAuthenticator } from '../../identity/token-authenticator.js';
import { tokenCommand } from './token.js';

let dir: string;
let out: string;
let err: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-token-cli-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<void> {
  await tokenCommand().exitOverride().parseAsync(args, { from: 'user' });
}

describe('pipeline token create', () => {
  it('prints a working token once, with a warning to store it, and keeps only its hash', async () => {
    const file = join(dir, 'tokens.jsonl');
    await run(
      'create',
      '--tokens-file',
      file,
      '--subject',
      'etl-bot',
      '--group',
      'etl',
      '--group',
      'ml',
      '--ttl',
      '7d',
      '--json',
    );
    const printed = JSON.parse(out) as {
      token: string;
      subject: string;
      groups: string[];
      expires_at: string;
    };
    expect(printed).toMatchObject({ subject: 'etl-bot', groups: ['etl', 'ml'] });
    expect(printed).not.toHaveProperty('hash');
    expect(err).toMatch(/store this token now/);
    expect(await readFile(file, 'utf8')).not.toContain(printed.token);
    const identity = await new TokenAuthenticator(
      { type: 'token', tokens_file: file },
      { baseDir: dir },
    ).authenticate(printed.token);
    expect(identity).toMatchObject({ subject: 'etl-bot', groups: ['etl', 'ml'], method: 'token' });
  });

  it('records delegation and agent metadata', async () => {
    const file = join(dir, 'tokens.jsonl');
    await run(
      'create',
      '--tokens-file',
      file,
      '--subject',
      'agent:writer',
      '--on-behalf-of',
      'alice@example.com',
      '--agent-id',
      'writer',
      '--agent-model',
      'claude-sonnet-4',
      '--created-by',
      'alice',
    );
    const token = out.split('\n')[0] ?? '';
    expect(token).toMatch(/^slc_/);
    const identity = await new TokenAuthenticator(
      { type: 'token', tokens_file: file },
      { baseDir: dir },
    ).authenticate(token);
    expect(identity).toMatchObject({
      on_behalf_of: 'alice@example.com',
      agent: { id: 'writer', model: 'claude-sonnet-4' },
    });
    expect(await readFile(file, 'utf8')).toContain('"created_by":"alice"');
  });

  it('refuses an agent model without an agent id', async () => {
    await expect(
      run('create', '--tokens-file', join(dir, 't.jsonl'), '--subject', 's', '--agent-model', 'm'),
    ).rejects.toMatchObject({ code: 'USAGE' });
  });
});
