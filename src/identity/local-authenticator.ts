import { userInfo } from 'node:os';
import { throwIfAborted } from '../core/errors.js';
import { authFailure } from './auth-failure.js';
import type { LocalAuthenticatorConfig } from './authenticators-config.js';
import type { Authenticator, Identity } from './identity.js';

/** Issuer recorded for the local identity. */
export const LOCAL_ISSUER = 'local';

/**
 * The operating-system user, trusted without proof and recorded as `verified: false`. Exists only
 * when the config lists it with `enabled: true`; it never accepts a credential.
 */
export class LocalAuthenticator implements Authenticator {
  readonly type = 'local' as const;
  readonly enabled: boolean;
  readonly #groups: string[];
  readonly #username: () => string;

  constructor(config: LocalAuthenticatorConfig, options: { username?: () => string } = {}) {
    this.enabled = config.enabled;
    this.#groups = [...new Set(config.groups)];
    this.#username = options.username ?? (() => userInfo().username);
  }

  async authenticate(credential: string | undefined, signal?: AbortSignal): Promise<Identity> {
    throwIfAborted(signal);
    if (!this.enabled) {
      throw authFailure(
        'no_authenticator',
        'The `local` authenticator is listed but not enabled. Set `enabled: true` under `identity.authenticators` (demos only), or present a token.',
        { authenticator: this.type },
      );
    }
    if (credential !== undefined && credential !== '') {
      throw authFailure(
        'no_authenticator',
        'The `local` identity takes no credential; a presented credential must be verified by an `oidc` or `token` authenticator.',
        { authenticator: this.type },
      );
    }
    return {
      subject: this.#username(),
      issuer: LOCAL_ISSUER,
      method: 'local',
      groups: [...this.#groups],
      verified: false,
    };
  }
}
