import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsFor,
  createTestIssuer,
  forgeHmacToken,
  forgeUnsignedToken,
  type TestIssuer,
} from '../../fixtures/identity/test-issuer.js';
import { SluiceError } from '../core/errors.js';
import type { AuthFailureReason } from './auth-failure.js';
import { type OidcAuthenticatorConfig, oidcAuthenticatorConfigSchema } from './authenticators-config.js';
import { OidcAuthenticator } from './oidc-authenticator.js';

let dir: string;
let rsa: TestIssuer;
let es: TestIssuer;
let ed: TestIssuer;
let impostor: TestIssuer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-oidc-'));
  [rsa, es, ed, impostor] = await Promise.all([
    createTestIssuer({ alg: 'RS256' }),
    createTestIssuer({ alg: 'ES256' }),
    createTestIssuer({ alg: 'EdDSA' }),
    // Same kid and issuer as `rsa`, different private key.
    createTestIssuer({ alg: 'RS256' }),
  ]);
  await writeFile(
    join(dir, 'jwks.json'),
    JSON.stringify({ keys: [rsa.publicJwk, es.publicJwk, ed.publicJwk] }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function authenticator(overrides: Record<string, unknown> = {}): OidcAuthenticator {
  const config = oidcAuthenticatorConfigSchema.parse({
    type: 'oidc',
    issuer: 'https://idp.test.example',
    audience: 'sluice',
    jwks_file: 'jwks.json',
    ...overrides,
  });
  return new OidcAuthenticator(config, { baseDir: dir });
}

async function expectRejected(
  auth: OidcAuthenticator,
  token: string,
  reason: AuthFailureReason,
): Promise<SluiceError> {
  const err = await auth.authenticate(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  const error = err as SluiceError;
  expect(error.code).toBe('AUTH_FAILED');
  expect(error.context['reason']).toBe(reason);
  expect(error.exitCode).toBe(3);
  // No part of the token may leak into what gets printed, logged or audited.
  const printed = `${error.message} ${JSON.stringify(error.toJSON())}`;
  for (const part of [token, ...token.split('.')].filter((p) => p.length >= 8)) {
    expect(printed).not.toContain(part);
  }
  return error;
}

describe('valid tokens', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('accepts a %s token and maps its claims', async (alg) => {
    const issuer = { RS256: rsa, ES256: es, EdDSA: ed }[alg];
    const token = await issuer.sign({ groups: ['analysts', 'ml'] }, { subject: 'alice@example.com' });
    const identity = await authenticator().authenticate(token);
    expect(identity).toMatchObject({
      subject: 'alice@example.com',
      issuer: 'https://idp.test.example',
      method: 'oidc',
      groups: ['analysts', 'ml'],
      verified: true,
    });
    expect(Date.parse(identity.expires_at ?? '')).toBeGreaterThan(Date.now());
  });

  it('reads groups given as one space-separated string', async () => {
    const token = await rsa.sign({ groups: 'analysts  ml' });
    expect((await authenticator().authenticate(token)).groups).toEqual(['analysts', 'ml']);
  });

  it('reads groups and subject from configured nested claims', async () => {
    const token = await rsa.sign({ realm_access: { roles: ['etl'] }, preferred_username: 'alice' });
    const identity = await authenticator({
      groups_claim: 'realm_access.roles',
      subject_claim: 'preferred_username',
    }).authenticate(token);
    expect(identity.subject).toBe('alice');
    expect(identity.groups).toEqual(['etl']);
  });

  it('gives no groups when the token has no groups claim', async () => {
    expect((await authenticator().authenticate(await rsa.sign())).groups).toEqual([]);
  });

  it('accepts a token that expired less than the clock skew ago', async () => {
    const token = await rsa.sign({}, { expiresInS: -30 });
    await expect(authenticator({ clock_skew_s: 60 }).authenticate(token)).resolves.toMatchObject({
      verified: true,
    });
  });

  it('accepts a token whose not-before is less than the clock skew ahead', async () => {
    const token = await rsa.sign({}, { notBeforeS: 30 });
    await expect(authenticator({ clock_skew_s: 60 }).authenticate(token)).resolves.toMatchObject({
      verified: true,
    });
  });

  it('records the human an agent acts for from an RFC 8693 `act` claim', async () => {
    const token = await rsa.sign(
      { act: { sub: 'agent:report-writer' }, agent: { id: 'report-writer', model: 'claude-sonnet-4' } },
      { subject: 'alice@example.com' },
    );
    const identity = await authenticator().authenticate(token);
    expect(identity.subject).toBe('agent:report-writer');
    expect(identity.on_behalf_of).toBe('alice@example.com');
    expect(identity.agent).toEqual({ id: 'report-writer', model: 'claude-sonnet-4' });
  });

  it('records the human an agent acts for from an `on_behalf_of` claim', async () => {
    const token = await rsa.sign(
      { on_behalf_of: 'bob@example.com', agent: { id: 'bot-7' } },
      { subject: 'bot-7' },
    );
    const identity = await authenticator().authenticate(token);
    expect(identity.subject).toBe('bot-7');
    expect(identity.on_behalf_of).toBe('bob@example.com');
    expect(identity.agent).toEqual({ id: 'bot-7' });
  });

  it('reads agent metadata from configured flat claims', async () => {
    const token = await rsa.sign({ agent_id: 'a-1', agent_model: 'gpt-x' });
    const identity = await authenticator({
      agent_claims: { id: 'agent_id', model: 'agent_model' },
    }).authenticate(token);
    expect(identity.agent).toEqual({ id: 'a-1', model: 'gpt-x' });
  });

  it('accepts a Kubernetes service-account token and derives its namespace groups', async () => {
    const k8s = await createTestIssuer({
      alg: 'RS256',
      kid: 'k8s-sa',
      issuer: 'https://kubernetes.default.svc.cluster.local',
    });
    const jwks = await k8s.writeJwks(dir, 'k8s-jwks.json');
    const token = await k8s.sign(
      {
        'kubernetes.io': {
          namespace: 'ml',
          serviceaccount: { name: 'trainer', uid: '8f1c0f5e-3c2a-4a7e-9d43-0e6f1a2b3c4d' },
          pod: { name: 'trainer-7d9f', uid: '1b2c3d4e-0000-4000-8000-000000000001' },
        },
      },
      { subject: 'system:serviceaccount:ml:trainer', audience: ['sluice', 'https://kubernetes.default.svc'] },
    );
    const identity = await new OidcAuthenticator(
      oidcAuthenticatorConfigSchema.parse({
        type: 'oidc',
        issuer: 'https://kubernetes.default.svc.cluster.local',
        audience: 'sluice',
        jwks_file: jwks,
        kubernetes_groups: true,
      }),
      { baseDir: dir },
    ).authenticate(token);
    expect(identity).toMatchObject({
      subject: 'system:serviceaccount:ml:trainer',
      issuer: 'https://kubernetes.default.svc.cluster.local',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ml'],
      verified: true,
    });
  });
});

describe('forged and broken tokens', () => {
  it('rejects a token signed by another key under the same kid', async () => {
    await expectRejected(authenticator(), await impostor.sign(), 'bad_signature');
  });

  it('rejects a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await rsa.sign({ groups: ['viewer'] })).split('.');
    const payload = Buffer.from(JSON.stringify(claimsFor(rsa, { groups: ['admin'] }))).toString('base64url');
    await expectRejected(authenticator(), `${header}.${payload}.${signature}`, 'bad_signature');
  });

  it('rejects an unsigned token (`alg: none`)', async () => {
    await expectRejected(authenticator(), forgeUnsignedToken(claimsFor(rsa), rsa.kid), 'alg_not_allowed');
    await expectRejected(authenticator(), forgeUnsignedToken(claimsFor(rsa)), 'alg_not_allowed');
  });

  it('rejects an HS256 token signed with the RSA public key as the HMAC secret', async () => {
    const forged = forgeHmacToken(claimsFor(rsa), rsa.publicKeyPem, rsa.kid);
    await expectRejected(authenticator(), forged, 'alg_not_allowed');
  });

  it('rejects key confusion even if HS256 were slipped into the allowed algorithms', async () => {
    // Bypasses the schema on purpose: the JWKS layer must still refuse a public key as an HMAC secret.
    const config = {
      ...oidcAuthenticatorConfigSchema.parse({
        type: 'oidc',
        issuer: rsa.issuer,
        audience: 'sluice',
        jwks_file: 'jwks.json',
      }),
      algorithms: ['RS256', 'HS256'],
    } as unknown as OidcAuthenticatorConfig;
    const auth = new OidcAuthenticator(config, { baseDir: dir });
    for (const secret of [rsa.publicKeyPem, JSON.stringify(rsa.publicJwk)]) {
      await expectRejected(auth, forgeHmacToken(claimsFor(rsa), secret, rsa.kid), 'alg_not_allowed');
    }
  });

  it('rejects a token signed with an algorithm the issuer does not allow', async () => {
    await expectRejected(authenticator({ algorithms: ['RS256'] }), await es.sign(), 'alg_not_allowed');
  });

  it('rejects an expired token', async () => {
    const error = await expectRejected(authenticator(), await rsa.sign({}, { expiresInS: -120 }), 'expired');
    expect(error.message).toMatch(/expired.*fresh token/);
    expect(error.context['subject']).toBe('alice@example.com');
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(authenticator(), await rsa.sign({}, { notBeforeS: 600 }), 'not_yet_valid');
  });

  it('honours a configured clock skew of zero', async () => {
    await expectRejected(
      authenticator({ clock_skew_s: 0 }),
      await rsa.sign({}, { expiresInS: -5 }),
      'expired',
    );
  });

  it('rejects a token from another issuer, even when signed by a trusted key', async () => {
    await expectRejected(
      authenticator(),
      await rsa.sign({}, { issuer: 'https://evil.example' }),
      'wrong_issuer',
    );
  });

  it('rejects a token for another audience', async () => {
    const error = await expectRejected(
      authenticator(),
      await rsa.sign({}, { audience: 'grafana' }),
      'wrong_audience',
    );
    expect(error.message).toContain('`sluice`');
  });

  it('rejects a token whose kid is not in the JWKS', async () => {
    await expectRejected(authenticator(), await rsa.sign({}, { kid: 'rotated-away' }), 'unknown_kid');
  });

  it('rejects a token without an expiry', async () => {
    await expectRejected(authenticator(), await rsa.sign({}, { expiresInS: null }), 'missing_claim');
  });

  it('rejects a groups claim that is neither a list nor a string', async () => {
    await expectRejected(authenticator(), await rsa.sign({ groups: { admin: true } }), 'invalid_claim');
  });

  it.each([
    ['garbage', 'not-a-jwt-at-all'],
    ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0'],
    ['bad base64 header', '!!!!.@@@@.####'],
    ['header that is not JSON', `${Buffer.from('not json').toString('base64url')}.e30.c2ln`],
    ['encrypted token (five segments)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'],
  ])('rejects a malformed token: %s', async (_name, token) => {
    await expectRejected(authenticator(), token, 'malformed');
  });

  it('rejects a token whose payload is not JSON', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: rsa.kid })).toString('base64url');
    await expectRejected(
      authenticator(),
      `${header}.${Buffer.from('nope').toString('base64url')}.c2lnbmF0dXJl`,
      'bad_signature',
    );
  });

  it('rejects a missing credential and says how to give one', async () => {
    const error = await expectRejected(authenticator(), '', 'missing_credential');
    expect(error.message).toContain('SLUICE_TOKEN');
  });
});

describe('JWKS sources', () => {
  it('refuses a JWKS file that contains a private key', async () => {
    const leaky = await createTestIssuer({ alg: 'ES256' });
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await writeFile(
      join(dir, 'leaky.json'),
      JSON.stringify({ keys: [leaky.publicJwk, await exportJWK(privateKey)] }),
    );
    const err = await authenticator({ jwks_file: 'leaky.json' })
      .authenticate(await leaky.sign())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/private or symmetric key material/);
  });

  it('names a missing JWKS file', async () => {
    const err = await authenticator({ jwks_file: 'nope.json' })
      .authenticate(await rsa.sign())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    expect((err as Error).message).toContain('nope.json');
  });

  describe('from a URL', () => {
    let server: Server;
    let served: unknown;
    let fetches = 0;
    let url: string;

    beforeAll(async () => {
      served = rsa.jwks;
      server = createServer((_req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(served));
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    });

    afterAll(async () => {
      await new Promise((done) => server.close(done));
    });

    it('caches the key set and fetches it again when a rotated key appears', async () => {
      const auth = authenticator({ jwks_file: undefined, jwks_url: url, jwks_cooldown_ms: 0 });
      await auth.authenticate(await rsa.sign());
      await auth.authenticate(await rsa.sign());
      expect(fetches).toBe(1);
      const rotated = await createTestIssuer({ alg: 'ES256', kid: 'rotated-2' });
      served = { keys: [rsa.publicJwk, rotated.publicJwk] };
      await expect(auth.authenticate(await rotated.sign())).resolves.toMatchObject({ verified: true });
      expect(fetches).toBe(2);
    });

    it('reports an unreachable key set as retryable', async () => {
      const auth = authenticator({
        jwks_file: undefined,
        jwks_url: 'http://127.0.0.1:1/jwks',
        jwks_timeout_ms: 2000,
      });
      const error = await expectRejected(auth, await rsa.sign(), 'jwks_unavailable');
      expect(error.retryable).toBe(true);
    });
  });
});
