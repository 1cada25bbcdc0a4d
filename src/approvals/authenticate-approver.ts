import type { SluiceConfig } from '../config/config-schema.js';
import { SluiceError } from '../core/errors.js';
import type { AuditLog } from '../evidence/audit-log.js';
import { createAuthenticators } from '../identity/create-authenticators.js';
import type { Identity } from '../identity/identity.js';
import { resolveIdentity } from '../identity/resolve-identity.js';
import type { Approver } from './approval-state.js';

/**
 * Authenticates whoever decides on a request exactly like a caller of `pipeline run` (the config's
 * `identity.authenticators`; `--token-file`, `SLUICE_TOKEN` or the default credential). Every
 * attempt is appended to the audit log. Throws `AUTH_FAILED` (exit 3).
 */
export async function authenticateApprover(options: {
  config: Pick<SluiceConfig, 'identity'>;
  configDir: string;
  audit: AuditLog;
  tokenFile?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<Approver> {
  const identity = options.config.identity;
  if (!identity) {
    throw new SluiceError(
      'AUTH_FAILED',
      'The config defines no `identity.authenticators`, so no approver can be authenticated. Add an authenticator (`oidc` or `token`).',
      { context: { reason: 'no_authenticator' } },
    );
  }
  const pending: Promise<unknown>[] = [];
  let resolved: Identity;
  try {
    resolved = await resolveIdentity({
      authenticators: createAuthenticators(identity, { baseDir: options.configDir }),
      env: options.env ?? process.env,
      baseDir: options.configDir,
      ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }),
      ...(identity.default_credential === undefined
        ? {}
        : { defaultCredential: identity.default_credential }),
      onAuthentication: (e) => {
        pending.push(
          options.audit.append({
            kind: 'authentication',
            subject: e.subject ?? e.identity?.subject ?? null,
            method: e.method,
            outcome: e.outcome,
            ...(e.reason === undefined ? {} : { reason: e.reason }),
            ...(e.issuer === undefined ? {} : { issuer: e.issuer }),
            ...(e.identity === undefined ? {} : { identity: e.identity }),
          }),
        );
      },
    });
  } finally {
    await Promise.all(pending);
  }
  return {
    subject: resolved.subject,
    issuer: resolved.issuer,
    method: resolved.method,
    groups: [...resolved.groups],
    verified: resolved.verified,
  };
}
