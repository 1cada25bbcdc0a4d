import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { API_TOKEN_PREFIX, generateApiToken, hashApiToken, isApiTokenShape } from './api-token.js';
import { createToken } from './create-token.js';
import { TokenAuthenticator } from './token-authenticator.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tokens-'));
  file = join(dir, 'tokens.jsonl');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function authenticator(now?: () => Date): TokenAuthenticator {
  return new TokenAuthenticator(
    { type: 'token', tokens_file: 'tokens.jsonl' },
    { baseDir: dir, ...(now ? { now } : {}) },
  );
}

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('API tokens', () => {
  it('are long, random and recognisable by their prefix', () => {
    const a = generateApiToken();
    const b = generateApiToken();
    expect(a).toMatch(/^slc_[0-9A-Za-z]{43}$/);
    expect(a).not.toBe(b);
    expect(isApiTokenShape(a)).toBe(true);
    expect(isApiTokenShape(`${a}x`)).toBe(false);
    expect(API_TOKEN_PREFIX).toBe('slc_');
  });

  it('authenticate as the subject they were created for', async () => {
    const { token, record } = await createToken(file, {
      subject: 'etl-bot',
      groups: ['etl', 'analysts'],
      ttl: '7d',
      createdBy: 'alice',
      onBehalfOf: 'alice@example.com',
      agent: { id: 'etl-agent', model: 'claude-sonnet-4' },
    });
    const identity = await authenticator().authenticate(token);
    expect(identity).toEqual({
      subject: 'etl-bot',
      issuer: 'sluice-token',
      method: 'token',
      groups: ['etl', 'analysts'],
      verified: true,
      on_behalf_of: 'alice@example.com',
      agent: { id: 'etl-agent', model: 'claude-sonnet-4' },
      expires_at: record.expires_at,
    });
    expect(Date.parse(record.expires_at) - Date.parse(record.created_at)).toBe(7 * 86_400_000);
    expect(record.created_by).toBe('alice');
  });

  it('are stored only as hashes: the token text never appears in the file', async () => {
    const { token } = await createToken(file, { subject: 'etl-bot', createdBy: 'alice' });
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(API_TOKEN_PREFIX.length));
    expect(text).toContain(hashApiToken(token));
    expect((await stat(file)).mode & 0o077).toBe(0);
  });

  it('keep working when several are created, and each maps to its own subject', async () => {
    const created = [];
    for (const subject of ['a', 'b', 'c'])
      created.push(await createToken(file, { subject, createdBy: 'root' }));
    const auth = authenticator();
    for (const { token, record } of created)
      expect((await auth.authenticate(token)).subject).toBe(record.subject);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('are rejected when unknown, without naming the token', async () => {
    await createToken(file, { subject: 'etl-bot', createdBy: 'alice' });
    const wrong = generateApiToken();
    const error = await rejection(authenticator().authenticate(wrong));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.context['reason']).toBe('unknown_token');
    expect(`${error.message}${JSON.stringify(error)}`).not.toContain(wrong.slice(4));
  });

  it('are rejected once expired, naming the subject but not the token', async () => {
    const { token } = await createToken(file, { subject: 'etl-bot', ttl: '1h', createdBy: 'alice' });
    const later = () => new Date(Date.now() + 2 * 3_600_000);
    const error = await rejection(authenticator(later).authenticate(token));
    expect(error.context).toMatchObject({ reason: 'token_expired', subject: 'etl-bot' });
    expect(error.message).not.toContain(token.slice(4));
  });

  it('are rejected when truncated or not a Sluice token at all', async () => {
    const { token } = await createToken(file, { subject: 'etl-bot', createdBy: 'alice' });
    for (const bad of [token.slice(0, -1), `Bearer ${token}`, 'hunter2']) {
      const error = await rejection(authenticator().authenticate(bad));
      expect(error.context['reason']).toBe('malformed');
      expect(error.message).not.toContain(bad);
    }
  });

  it('see tokens added to the file after the authenticator was created', async () => {
    await createToken(file, { subject: 'first', createdBy: 'root' });
    const auth = authenticator();
    await auth.authenticate((await createToken(file, { subject: 'warmup', createdBy: 'root' })).token);
    const { token } = await createToken(file, { subject: 'second', createdBy: 'root' });
    expect((await auth.authenticate(token)).subject).toBe('second');
  });

  it('stop working when their line is removed from the file', async () => {
    const { token } = await createToken(file, { subject: 'etl-bot', createdBy: 'alice' });
    const auth = authenticator();
    await auth.authenticate(token);
    await writeFile(file, '');
    expect((await rejection(auth.authenticate(token))).context['reason']).toBe('unknown_token');
  });

  it('never glue a new record onto a line left without its newline', async () => {
    await createToken(file, { subject: 'a', createdBy: 'root' });
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.trimEnd());
    const { token } = await createToken(file, { subject: 'b', createdBy: 'root' });
    expect((await authenticator().authenticate(token)).subject).toBe('b');
  });

  it('refuse a tokens file with a broken line, naming the line but not its text', async () => {
    await createToken(file, { subject: 'a', createdBy: 'root' });
    await appendFile(file, '{"hash":"secret-looking-stuff"}\n');
    const error = await rejection(authenticator().authenticate(generateApiToken()));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('line 2');
    expect(error.message).not.toContain('secret-looking-stuff');
  });

  it('name a missing tokens file and how to create it', async () => {
    const error = await rejection(authenticator().authenticate(generateApiToken()));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toContain('pipeline token create');
  });

  it('cannot be created with a lifetime above a year or in the wrong format', async () => {
    await expect(createToken(file, { subject: 'a', createdBy: 'root', ttl: '400d' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(
      createToken(file, { subject: 'a', createdBy: 'root', ttl: 'forever' }),
    ).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
