import type { AuthenticatorConfig, IdentityConfig } from './authenticators-config.js';
import type { Authenticator } from './identity.js';
import { LocalAuthenticator } from './local-authenticator.js';
import { OidcAuthenticator } from './oidc-authenticator.js';
import { TokenAuthenticator } from './token-authenticator.js';

export interface CreateAuthenticatorsOptions {
  /** The config file's directory: relative `jwks_file` and `tokens_file` paths resolve against it. */
  baseDir: string;
}

/** Builds the configured authenticators, in config order. No I/O: keys and token files load on first use. */
export function createAuthenticators(
  config: IdentityConfig,
  options: CreateAuthenticatorsOptions,
): Authenticator[] {
  return config.authenticators.map((entry) => createAuthenticator(entry, options));
}

export function createAuthenticator(
  entry: AuthenticatorConfig,
  options: CreateAuthenticatorsOptions,
): Authenticator {
  switch (entry.type) {
    case 'oidc':
      return new OidcAuthenticator(entry, options);
    case 'token':
      return new TokenAuthenticator(entry, options);
    case 'local':
      return new LocalAuthenticator(entry);
    default: {
      const unknown: never = entry;
      throw new Error(`Unhandled authenticator ${JSON.stringify(unknown)}`);
    }
  }
}
