import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError, throwIfAborted, toSluiceError } from '../core/errors.js';
import { createSecretResolver, describeSecretRef, type SecretRef } from '../core/secrets.js';
import { hasApiTokenPrefix } from './api-token.js';
import { authFailure, authFailureReason } from './auth-failure.js';
import type { AuthenticationListener, CredentialSource } from './authentication-event.js';
import { isRecord } from './claim-path.js';
import { type Authenticator, type AuthMethod, type Identity, identityFacts } from './identity.js';

/** The environment variable that carries the caller's credential. */
export const TOKEN_ENV = 'SLUICE_TOKEN';

export interface ResolveIdentityOptions {
  /** In config order. */
  authenticators: readonly Authenticator[];
  /** `--token-file`: a file holding the credential (relative to cwd). Wins over `SLUICE_TOKEN` and the default. */
  tokenFile?: string;
  env?: NodeJS.ProcessEnv;
  /** The config's `identity.default_credential`. */
  defaultCredential?: SecretRef;
  /** Directory that a relative file in `defaultCredential` resolves against (the config's). Default: cwd. */
  baseDir?: string;
  signal?: AbortSignal;
  /**
   * Called once per attempt, success or failure, e.g. to append an audit event. If it throws, the
   * attempt fails: an identity that cannot be audited is not handed out.
   */
  onAuthentication?: AuthenticationListener;
}

interface Credential {
  value: string | undefined;
  source: CredentialSource;
}

/**
 * Finds the caller's credential (`--token-file`, then `SLUICE_TOKEN`, then the config default) and
 * authenticates it with the authenticator its shape calls for: a JWT with `oidc` (chosen by
 * issuer), an `slc_` token with `token`, no credential with `local` when enabled. A presented
 * credential that fails is never replaced by the local identity. Throws `AUTH_FAILED`.
 *
 * @example
 * const identity = await resolveIdentity({ authenticators, tokenFile: opts.tokenFile, onAuthentication: audit });
 */
export async function resolveIdentity(options: ResolveIdentityOptions): Promise<Identity> {
  let source: CredentialSource = 'none';
  let method: Authenticator['type'] | 'none' = 'none';
  let identity: Identity | undefined;
  try {
    throwIfAborted(options.signal);
    const credential = await findCredential(options);
    source = credential.source;
    let lastError: unknown;
    for (const authenticator of chooseAuthenticators(options.authenticators, credential.value)) {
      method = authenticator.type;
      try {
        identity = await authenticator.authenticate(credential.value, options.signal);
        break;
      } catch (err) {
        lastError = err;
        // Only an API token unknown to one tokens file may still be known to the next one.
        if (authFailureReason(err) !== 'unknown_token') throw err;
      }
    }
    if (identity === undefined) throw lastError;
  } catch (err) {
    const error = toSluiceError(err);
    if (error.code !== 'CANCELLED') {
      const { subject, authenticator } = error.context;
      const reason = authFailureReason(error);
      options.onAuthentication?.({
        outcome: 'failure',
        method: method === 'none' && isAuthMethod(authenticator) ? authenticator : method,
        credential_source: source,
        ...(typeof subject === 'string' ? { subject } : {}),
        ...(reason === undefined ? {} : { reason }),
        error_code: error.code,
      });
    }
    throw error;
  }
  options.onAuthentication?.({
    outcome: 'success',
    method: identity.method,
    credential_source: source,
    subject: identity.subject,
    issuer: identity.issuer,
    identity: identityFacts(identity),
  });
  return identity;
}

async function findCredential(options: ResolveIdentityOptions): Promise<Credential> {
  const baseDir = options.baseDir ?? process.cwd();
  if (options.tokenFile !== undefined) {
    const path = resolve(options.tokenFile);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new SluiceError(
        'CONFIG_NOT_FOUND',
        `Token file \`${path}\` cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}). Check the \`--token-file\` path.`,
        { context: { file: path }, cause },
      );
    }
    const value = text.trim();
    if (value === '') {
      throw authFailure(
        'missing_credential',
        `Token file \`${path}\` is empty. Write the token into it, alone on one line.`,
      );
    }
    return { value, source: 'token_file' };
  }
  const env = options.env ?? process.env;
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'env' };
  if (options.defaultCredential !== undefined) {
    const secret = await createSecretResolver(baseDir, env).resolve(
      options.defaultCredential,
      'The default credential (`identity.default_credential`)',
    );
    const value = secret.reveal().trim();
    if (value === '') {
      throw authFailure(
        'missing_credential',
        `The default credential (${describeSecretRef(options.defaultCredential)}) is empty. Put the token there, or pass \`--token-file\`.`,
      );
    }
    return { value, source: 'config_default' };
  }
  return { value: undefined, source: 'none' };
}

function chooseAuthenticators(
  all: readonly Authenticator[],
  credential: string | undefined,
): Authenticator[] {
  if (credential === undefined || credential === '') {
    const local = all.find((a) => a.type === 'local' && (a as { enabled?: unknown }).enabled === true);
    if (local) return [local];
    throw authFailure(
      'missing_credential',
      `No credential was presented. Pass \`--token-file <file>\`, set \`${TOKEN_ENV}\`, or set \`identity.default_credential\` in the config.${
        all.some((a) => a.type === 'local') ? ' (The `local` identity is listed but not enabled.)' : ''
      }`,
    );
  }
  if (hasApiTokenPrefix(credential)) {
    const tokens = all.filter((a) => a.type === 'token');
    if (tokens.length === 0) throw noAuthenticator('a Sluice API token (`slc_…`)', 'token');
    return tokens;
  }
  if (credential.includes('.')) {
    const oidc = all.filter((a) => a.type === 'oidc');
    if (oidc.length === 0) throw noAuthenticator('a JWT', 'oidc');
    const iss = unverifiedIssuer(credential);
    if (iss === undefined) return [oidc[0] as Authenticator];
    // The unverified `iss` only routes the token; the chosen authenticator verifies everything.
    const match = oidc.find((a) => issuerOf(a) === iss);
    if (match) return [match];
    throw authFailure(
      'wrong_issuer',
      `The token's issuer is not trusted (trusted: ${oidc.map((a) => `\`${issuerOf(a)}\``).join(', ')}). Use a token from one of them, or add an \`oidc\` authenticator for its issuer.`,
      { authenticator: 'oidc' },
    );
  }
  throw authFailure(
    'malformed',
    'The credential is neither a JWT nor a Sluice API token (`slc_…`). Check that the whole token was given, without a `Bearer ` prefix.',
  );
}

function noAuthenticator(what: string, type: string) {
  return authFailure(
    'no_authenticator',
    `The credential is ${what}, but no \`${type}\` authenticator is configured. Add one under \`identity.authenticators\`, or present another kind of credential.`,
  );
}

function isAuthMethod(value: unknown): value is AuthMethod {
  return value === 'oidc' || value === 'token' || value === 'local';
}

function issuerOf(authenticator: Authenticator): unknown {
  return (authenticator as { issuer?: unknown }).issuer;
}

function unverifiedIssuer(jwt: string): string | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return isRecord(payload) && typeof payload['iss'] === 'string' ? payload['iss'] : undefined;
  } catch {
    return undefined;
  }
}
