import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createToken } from '../../identity/create-token.js';
import { whoamiCommand } from './whoami.js';

let dir: string;
let out: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-whoami-'));
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.stubEnv('SLUICE_TOKEN', '');
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<void> {
  await whoamiCommand().exitOverride().parseAsync(args, { from: 'user' });
}

async function config(body: string): Promise<string> {
  const path = join(dir, 'sluice.yaml');
  await writeFile(path, body);
  return path;
}

describe('pipeline whoami', () => {
  it('prints the identity behind an API token', async () => {
    const { token } = await createToken(join(dir, 'tokens.jsonl'), {
      subject: 'etl-bot',
      groups: ['etl'],
      createdBy: 'root',
    });
    await writeFile(join(dir, 'token'), token);
    const file = await config(
      'identity:\n  authenticators:\n    - type: token\n      tokens_file: tokens.jsonl\n',
    );
    await run('--authenticators', file, '--token-file', join(dir, 'token'), '--json');
    expect(JSON.parse(out)).toMatchObject({
      authenticated: true,
      credential_source: 'token_file',
      identity: { subject: 'etl-bot', method: 'token', verified: true, groups: ['etl'] },
    });
    expect(process.exitCode).toBeUndefined();
  });

  it('shows the local identity as not verified when the config enables it', async () => {
    const file = await config('authenticators:\n  - type: local\n    enabled: true\n    groups: [demo]\n');
    await run('--authenticators', file);
    expect(out).toContain(userInfo().username);
    expect(out).toMatch(/NOT verified/);
  });

  it('says why a credential is rejected and exits 3, without printing it', async () => {
    await createToken(join(dir, 'tokens.jsonl'), { subject: 'etl-bot', createdBy: 'root' });
    const file = await config(
      'identity:\n  authenticators:\n    - type: token\n      tokens_file: tokens.jsonl\n',
    );
    const bogus = `slc_${'x'.repeat(43)}`;
    vi.stubEnv('SLUICE_TOKEN', bogus);
    await run('--authenticators', file);
    expect(process.exitCode).toBe(3);
    expect(out).toMatch(/rejected \(unknown_token\)/);
    expect(out).not.toContain(bogus);
  });

  it('reports config mistakes with their line', async () => {
    const file = await config(
      'identity:\n  authenticators:\n    - type: oidc\n      issuer: https://idp\n      audiense: x\n',
    );
    await expect(run('--authenticators', file)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(run('--authenticators', file)).rejects.toThrow(/sluice\.yaml:5.*audiense/);
  });
});

describe('pipeline whoami on a config without identity', () => {
  it('says that the identity section is missing', async () => {
    const file = await config('version: 1\nconnections: {}\n');
    await expect(run('--authenticators', file)).rejects.toThrow(/no `identity:` section/);
  });
});
