import type { ErrorCode } from '../core/error-codes.js';
import { SluiceError } from '../core/errors.js';
import { type AuthFailureReason, authFailureReason } from './auth-failure.js';
import type { CredentialSource } from './authentication-event.js';
import type { Authenticator, Identity } from './identity.js';
import { type ResolveIdentityOptions, resolveIdentity } from './resolve-identity.js';

export type WhoamiResult =
  | { authenticated: true; credential_source: CredentialSource; identity: Identity }
  | {
      authenticated: false;
      credential_source: CredentialSource;
      code: ErrorCode;
      reason?: AuthFailureReason;
      message: string;
    };

export type WhoamiOptions = Omit<ResolveIdentityOptions, 'authenticators'>;

/**
 * The identity the proxy would see for these options, or why it is rejected. Rejections
 * (`AUTH_FAILED`) are returned; other errors (an unreadable token file, a missing secret) throw.
 */
export async function whoami(
  authenticators: readonly Authenticator[],
  options: WhoamiOptions = {},
): Promise<WhoamiResult> {
  let source: CredentialSource = 'none';
  try {
    const identity = await resolveIdentity({
      ...options,
      authenticators,
      onAuthentication: (event) => {
        source = event.credential_source;
        options.onAuthentication?.(event);
      },
    });
    return { authenticated: true, credential_source: source, identity };
  } catch (err) {
    if (!(err instanceof SluiceError) || err.code !== 'AUTH_FAILED') throw err;
    const reason = authFailureReason(err);
    return {
      authenticated: false,
      credential_source: source,
      code: err.code,
      ...(reason === undefined ? {} : { reason }),
      message: err.message,
    };
  }
}

const SOURCE_TEXT: Record<CredentialSource, string> = {
  token_file: '--token-file',
  env: 'SLUICE_TOKEN',
  config_default: 'identity.default_credential',
  none: 'no credential',
};

/** Human-readable lines for `pipeline whoami`. */
export function formatWhoami(result: WhoamiResult): string {
  if (!result.authenticated) {
    return [
      `rejected (${result.reason ?? result.code}); ${result.credential_source === 'none' ? 'no credential presented' : `credential from ${SOURCE_TEXT[result.credential_source]}`}`,
      `  ${result.message}`,
    ].join('\n');
  }
  const id = result.identity;
  const rows: [string, string][] = [
    ['subject', id.subject],
    ['issuer', id.issuer],
    ['method', `${id.method} (${id.verified ? 'verified' : 'NOT verified: local identity, for demos only'})`],
    ['groups', id.groups.length === 0 ? '(none)' : id.groups.join(', ')],
  ];
  if (id.on_behalf_of !== undefined) rows.push(['on behalf of', id.on_behalf_of]);
  if (id.agent !== undefined)
    rows.push(['agent', id.agent.model === undefined ? id.agent.id : `${id.agent.id} (${id.agent.model})`]);
  if (id.expires_at !== undefined) rows.push(['expires at', id.expires_at]);
  rows.push(['credential', SOURCE_TEXT[result.credential_source]]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n');
}
