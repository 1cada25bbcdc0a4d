import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../../fixtures/identity/test-issuer.js';
import { SluiceError } from '../core/errors.js';
import type { AuthenticationEvent } from './authentication-event.js';
import { identityConfigSchema } from './authenticators-config.js';
import { createAuthenticators } from './create-authenticators.js';
import { createToken } from './create-token.js';
import type { Authenticator } from './identity.js';
import { resolveIdentity } from './resolve-identity.js';

let dir: string;
let corp: TestIssuer;
let k8s: TestIssuer;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-resolve-'));
  [corp, k8s] = await Promise.all([
    createTestIssuer({ alg: 'ES256', kid: 'corp' }),
    createTestIssuer({ alg: 'ES256', kid: 'k8s', issuer: 'https://kubernetes.default.svc.cluster.local' }),
  ]);
  await corp.writeJwks(dir, 'corp.json');
  await k8s.writeJwks(dir, 'k8s.json');
  tokenA = (await createToken(join(dir, 'a.jsonl'), { subject: 'from-a', createdBy: 'root' })).token;
  tokenB = (await createToken(join(dir, 'b.jsonl'), { subject: 'from-b', createdBy: 'root' })).token;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function authenticators(extra: unknown[] = []): Authenticator[] {
  const config = identityConfigSchema.parse({
    authenticators: [
      {
        type: 'oidc',
        issuer: corp.issuer,
        audience: 'sluice',
        jwks_file: 'corp.json',
        algorithms: ['ES256'],
      },
      {
        type: 'oidc',
        issuer: k8s.issuer,
        audience: 'sluice',
        jwks_file: 'k8s.json',
        kubernetes_groups: true,
      },
      { type: 'token', tokens_file: 'a.jsonl' },
      { type: 'token', tokens_file: 'b.jsonl' },
      ...extra,
    ],
  });
  return createAuthenticators(config, { baseDir: dir });
}

async function tokenFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${content}\n`);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('where the credential comes from', () => {
  it('prefers --token-file over SLUICE_TOKEN and the config default', async () => {
    const identity = await resolveIdentity({
      authenticators: authenticators(),
      tokenFile: await tokenFile('file-token', tokenA),
      env: { SLUICE_TOKEN: tokenB, DEFAULT_TOKEN: tokenB },
      defaultCredential: { env: 'DEFAULT_TOKEN' },
    });
    expect(identity.subject).toBe('from-a');
  });

  it('uses SLUICE_TOKEN when there is no token file', async () => {
    const identity = await resolveIdentity({
      authenticators: authenticators(),
      env: { SLUICE_TOKEN: tokenB, DEFAULT_TOKEN: tokenA },
      defaultCredential: { env: 'DEFAULT_TOKEN' },
    });
    expect(identity.subject).toBe('from-b');
  });

  it('falls back to the config default credential, from env or file', async () => {
    const viaEnv = await resolveIdentity({
      authenticators: authenticators(),
      env: { DEFAULT_TOKEN: tokenA },
      defaultCredential: { env: 'DEFAULT_TOKEN' },
    });
    expect(viaEnv.subject).toBe('from-a');
    await tokenFile('default-token', tokenB);
    const viaFile = await resolveIdentity({
      authenticators: authenticators(),
      env: {},
      defaultCredential: { file: 'default-token' },
      baseDir: dir,
    });
    expect(viaFile.subject).toBe('from-b');
  });

  it('reports an unreadable token file as a usage problem, naming the file', async () => {
    const error = await rejection(
      resolveIdentity({ authenticators: authenticators(), tokenFile: join(dir, 'missing-token'), env: {} }),
    );
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toContain('missing-token');
  });
});

describe('which authenticator decides', () => {
  it('routes a JWT to the oidc authenticator of its issuer', async () => {
    const sa = await k8s.sign({}, { subject: 'system:serviceaccount:ml:trainer' });
    const identity = await resolveIdentity({ authenticators: authenticators(), env: { SLUICE_TOKEN: sa } });
    expect(identity).toMatchObject({
      issuer: k8s.issuer,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ml'],
    });
    const human = await corp.sign({ groups: ['analysts'] });
    expect(
      (await resolveIdentity({ authenticators: authenticators(), env: { SLUICE_TOKEN: human } })).issuer,
    ).toBe(corp.issuer);
  });

  it('rejects a JWT from an issuer no authenticator trusts', async () => {
    const stranger = await createTestIssuer({
      alg: 'ES256',
      kid: 'corp',
      issuer: 'https://stranger.example',
    });
    const error = await rejection(
      resolveIdentity({ authenticators: authenticators(), env: { SLUICE_TOKEN: await stranger.sign() } }),
    );
    expect(error.context['reason']).toBe('wrong_issuer');
    expect(error.message).toContain(corp.issuer);
    expect(error.message).not.toContain('stranger.example');
  });

  it('tries every tokens file before calling an API token unknown', async () => {
    const identity = await resolveIdentity({
      authenticators: authenticators(),
      env: { SLUICE_TOKEN: tokenB },
    });
    expect(identity.subject).toBe('from-b');
  });

  it('uses the local identity only when no credential is given and local is enabled', async () => {
    const withLocal = authenticators([{ type: 'local', enabled: true, groups: ['demo'] }]);
    expect(await resolveIdentity({ authenticators: withLocal, env: {} })).toMatchObject({
      method: 'local',
      verified: false,
      groups: ['demo'],
    });
    // A bad credential is never replaced by the local identity.
    const bad = await rejection(
      resolveIdentity({ authenticators: withLocal, env: { SLUICE_TOKEN: 'slc_nope' } }),
    );
    expect(bad.context['reason']).toBe('malformed');
  });

  it('does not fall back to the local identity when a configured credential source is empty', async () => {
    const withLocal = authenticators([{ type: 'local', enabled: true }]);
    await writeFile(join(dir, 'empty-token'), '\n');
    for (const source of [
      { tokenFile: join(dir, 'empty-token') },
      { defaultCredential: { file: 'empty-token' }, baseDir: dir },
    ]) {
      const error = await rejection(resolveIdentity({ authenticators: withLocal, env: {}, ...source }));
      expect(error.context['reason']).toBe('missing_credential');
    }
  });

  it('says how to give a credential when none is given and local is not enabled', async () => {
    for (const list of [authenticators(), authenticators([{ type: 'local', enabled: false }])]) {
      const error = await rejection(resolveIdentity({ authenticators: list, env: {} }));
      expect(error.context['reason']).toBe('missing_credential');
      expect(error.message).toMatch(/--token-file.*SLUICE_TOKEN.*default_credential/);
    }
  });

  it('says which authenticator is missing for the kind of credential given', async () => {
    const onlyTokens = createAuthenticators(
      identityConfigSchema.parse({ authenticators: [{ type: 'token', tokens_file: 'a.jsonl' }] }),
      { baseDir: dir },
    );
    const error = await rejection(
      resolveIdentity({ authenticators: onlyTokens, env: { SLUICE_TOKEN: await corp.sign() } }),
    );
    expect(error.context['reason']).toBe('no_authenticator');
    expect(error.message).toContain('`oidc`');
  });

  it('rejects a credential that is neither a JWT nor an API token', async () => {
    const error = await rejection(
      resolveIdentity({ authenticators: authenticators(), env: { SLUICE_TOKEN: 'hunter2hunter2' } }),
    );
    expect(error.context['reason']).toBe('malformed');
    expect(error.message).not.toContain('hunter2hunter2');
  });
});

describe('authentication events', () => {
  it('report a success with the identity and where the credential came from', async () => {
    const events: AuthenticationEvent[] = [];
    await resolveIdentity({
      authenticators: authenticators(),
      env: { SLUICE_TOKEN: tokenA },
      onAuthentication: (e) => events.push(e),
    });
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'success',
        method: 'token',
        credential_source: 'env',
        subject: 'from-a',
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(tokenA);
  });

  it('report failures with a reason, the subject when verified, and never the token', async () => {
    const events: AuthenticationEvent[] = [];
    const expired = await corp.sign({}, { subject: 'carol@example.com', expiresInS: -3600 });
    const forged = `${expired.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    for (const credential of [expired, forged, generateLookalike()]) {
      await resolveIdentity({
        authenticators: authenticators(),
        env: { SLUICE_TOKEN: credential },
        onAuthentication: (e) => events.push(e),
      }).catch(() => undefined);
      const text = JSON.stringify(events.at(-1));
      for (const part of [credential, ...credential.split('.')].filter((p) => p.length >= 8)) {
        expect(text).not.toContain(part);
      }
    }
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        method: 'oidc',
        reason: 'expired',
        subject: 'carol@example.com',
      }),
      expect.not.objectContaining({ subject: expect.anything() }),
      expect.objectContaining({ outcome: 'failure', method: 'token', reason: 'unknown_token' }),
    ]);
    expect(events[1]).toMatchObject({ outcome: 'failure', method: 'oidc', reason: 'bad_signature' });
  });

  it('fail the attempt when the listener cannot record it', async () => {
    await expect(
      resolveIdentity({
        authenticators: authenticators(),
        env: { SLUICE_TOKEN: tokenA },
        onAuthentication: () => {
          throw new Error('audit log unavailable');
        },
      }),
    ).rejects.toThrow('audit log unavailable');
  });
});

function generateLookalike(): string {
  return `slc_${'Z'.repeat(43)}`;
}
