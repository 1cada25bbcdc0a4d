import { describe, expect, it } from 'vitest';
import { identityConfigSchema, oidcAuthenticatorConfigSchema } from './authenticators-config.js';

const oidc = { type: 'oidc', issuer: 'https://idp.example', audience: 'sluice', jwks_file: 'jwks.json' };

describe('identity config', () => {
  it('fills in safe defaults for an oidc authenticator', () => {
    expect(oidcAuthenticatorConfigSchema.parse(oidc)).toMatchObject({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clock_skew_s: 60,
      subject_claim: 'sub',
      groups_claim: 'groups',
      actor_claim: 'act',
      on_behalf_of_claim: 'on_behalf_of',
      agent_claims: { id: 'agent.id', model: 'agent.model' },
      kubernetes_groups: false,
    });
  });

  it.each([['none'], ['HS256'], ['HS512']])('refuses `%s` as an allowed algorithm', (alg) => {
    expect(oidcAuthenticatorConfigSchema.safeParse({ ...oidc, algorithms: [alg] }).success).toBe(false);
  });

  it('needs exactly one of jwks_file and jwks_url', () => {
    const { jwks_file: _f, ...none } = oidc;
    expect(oidcAuthenticatorConfigSchema.safeParse(none).success).toBe(false);
    expect(
      oidcAuthenticatorConfigSchema.safeParse({ ...oidc, jwks_url: 'https://idp.example/jwks' }).success,
    ).toBe(false);
    expect(
      oidcAuthenticatorConfigSchema.safeParse({ ...none, jwks_url: 'https://idp.example/jwks' }).success,
    ).toBe(true);
  });

  it('refuses a JWKS over plain HTTP except on loopback', () => {
    const { jwks_file: _f, ...base } = oidc;
    expect(
      oidcAuthenticatorConfigSchema.safeParse({ ...base, jwks_url: 'http://idp.example/jwks' }).success,
    ).toBe(false);
    expect(
      oidcAuthenticatorConfigSchema.safeParse({ ...base, jwks_url: 'http://127.0.0.1:8080/jwks' }).success,
    ).toBe(true);
  });

  it('rejects unknown keys', () => {
    expect(oidcAuthenticatorConfigSchema.safeParse({ ...oidc, audiences: 'x' }).success).toBe(false);
    expect(identityConfigSchema.safeParse({ authenticators: [oidc], extra: 1 }).success).toBe(false);
  });

  it('requires `enabled` to be written out for the local identity', () => {
    expect(identityConfigSchema.safeParse({ authenticators: [{ type: 'local' }] }).success).toBe(false);
    expect(
      identityConfigSchema.parse({ authenticators: [{ type: 'local', enabled: true }] }).authenticators[0],
    ).toEqual({
      type: 'local',
      enabled: true,
      groups: [],
    });
  });

  it('takes the default credential only as a reference', () => {
    const base = { authenticators: [oidc] };
    expect(identityConfigSchema.safeParse({ ...base, default_credential: { env: 'MY_TOKEN' } }).success).toBe(
      true,
    );
    expect(identityConfigSchema.safeParse({ ...base, default_credential: 'slc_inline' }).success).toBe(false);
  });
});
