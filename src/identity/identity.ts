import type { IdentityFacts } from '../core/events.js';

/** How an identity was established. */
export type AuthMethod = 'oidc' | 'token' | 'local';

/**
 * Who is asking for data, as the proxy sees it. `verified: false` only for the `local` method,
 * which trusts the operating system user and exists for demos.
 */
export interface Identity extends IdentityFacts {
  method: AuthMethod;
  /** ISO-8601 expiry of the credential, when it has one. */
  expires_at?: string;
}

/**
 * Turns a credential into an identity, or throws `AUTH_FAILED` with `context.reason` set to an
 * {@link AuthFailureReason}. Never echoes the credential.
 */
export interface Authenticator {
  readonly type: AuthMethod;
  authenticate(credential: string | undefined, signal?: AbortSignal): Promise<Identity>;
}

/** The facts of an identity for events, without anything that is not in `IdentityFacts`. */
export function identityFacts(identity: Identity): IdentityFacts {
  return {
    subject: identity.subject,
    issuer: identity.issuer,
    method: identity.method,
    groups: [...identity.groups],
    verified: identity.verified,
    ...(identity.on_behalf_of === undefined ? {} : { on_behalf_of: identity.on_behalf_of }),
    ...(identity.agent === undefined ? {} : { agent: { ...identity.agent } }),
  };
}
