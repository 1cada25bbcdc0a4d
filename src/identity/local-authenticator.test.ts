import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LocalAuthenticator } from './local-authenticator.js';

describe('local identity', () => {
  it('is the OS user, recorded as not verified', async () => {
    const identity = await new LocalAuthenticator({
      type: 'local',
      enabled: true,
      groups: ['demo'],
    }).authenticate(undefined);
    expect(identity).toEqual({
      subject: userInfo().username,
      issuer: 'local',
      method: 'local',
      groups: ['demo'],
      verified: false,
    });
  });

  it('is refused when the config lists it without enabling it', async () => {
    await expect(
      new LocalAuthenticator({ type: 'local', enabled: false, groups: [] }).authenticate(undefined),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED', context: { reason: 'no_authenticator' } });
  });

  it('never accepts a credential in place of a verifying authenticator', async () => {
    const err = await new LocalAuthenticator({ type: 'local', enabled: true, groups: [] })
      .authenticate('slc_whatever')
      .catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'AUTH_FAILED' });
    expect((err as Error).message).not.toContain('slc_whatever');
  });
});
