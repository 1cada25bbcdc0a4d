import { timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import { throwIfAborted } from '../core/errors.js';
import { hasApiTokenPrefix, hashApiToken, isApiTokenShape } from './api-token.js';
import { authFailure } from './auth-failure.js';
import type { TokenAuthenticatorConfig } from './authenticators-config.js';
import type { Authenticator, Identity } from './identity.js';
import { fileStamp, readTokensFile, type TokenRecord } from './tokens-file.js';

export interface TokenAuthenticatorOptions {
  /** Directory that a relative `tokens_file` is resolved against. */
  baseDir: string;
  /** Clock for tests. */
  now?: () => Date;
}

interface LoadedRecord {
  record: TokenRecord;
  digest: Buffer;
}

/** Issuer recorded for identities from API tokens. */
export const TOKEN_ISSUER = 'sluice-token';

/**
 * Authenticates opaque `slc_` API tokens against the SHA-256 hashes in a tokens file. The file is
 * re-read when it changes, so new and removed tokens take effect without a restart.
 */
export class TokenAuthenticator implements Authenticator {
  readonly type = 'token' as const;
  readonly tokensFile: string;
  readonly #now: () => Date;
  #cache: { stamp: string; records: LoadedRecord[] } | undefined;

  constructor(config: TokenAuthenticatorConfig, options: TokenAuthenticatorOptions) {
    this.tokensFile = resolve(options.baseDir, config.tokens_file);
    this.#now = options.now ?? (() => new Date());
  }

  async authenticate(credential: string | undefined, signal?: AbortSignal): Promise<Identity> {
    throwIfAborted(signal);
    const at = { authenticator: this.type };
    if (credential === undefined || credential === '') {
      throw authFailure(
        'missing_credential',
        'No API token was given. Pass one with `--token-file` or `SLUICE_TOKEN`; create one with `pipeline token create`.',
        at,
      );
    }
    if (!isApiTokenShape(credential)) {
      throw authFailure(
        'malformed',
        hasApiTokenPrefix(credential)
          ? 'The API token is truncated or altered (wrong length or characters). Check that the whole token was copied.'
          : 'The credential is not a Sluice API token (they start with `slc_`). Check that the right token was given.',
        at,
      );
    }
    const records = await this.#records();
    const digest = Buffer.from(hashApiToken(credential), 'hex');
    // Compare against every record without stopping at a match, so timing says nothing about
    // which record (or whether any) matched.
    let found: TokenRecord | undefined;
    for (const entry of records) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.record;
    }
    if (found === undefined) {
      throw authFailure(
        'unknown_token',
        `The API token is not in tokens file \`${this.tokensFile}\` (unknown or revoked). Ask an administrator for a token created with \`pipeline token create\`.`,
        at,
      );
    }
    if (Date.parse(found.expires_at) <= this.#now().getTime()) {
      throw authFailure(
        'token_expired',
        `The API token for \`${found.subject}\` (id \`${found.id}\`) expired at ${found.expires_at}. Ask an administrator for a new one.`,
        { ...at, subject: found.subject },
      );
    }
    throwIfAborted(signal);
    return {
      subject: found.subject,
      issuer: TOKEN_ISSUER,
      method: 'token',
      groups: [...found.groups],
      verified: true,
      ...(found.on_behalf_of === undefined ? {} : { on_behalf_of: found.on_behalf_of }),
      ...(found.agent === undefined ? {} : { agent: agentFacts(found.agent) }),
      expires_at: found.expires_at,
    };
  }

  async #records(): Promise<LoadedRecord[]> {
    const stamp = await fileStamp(this.tokensFile);
    if (stamp !== undefined && this.#cache?.stamp === stamp) return this.#cache.records;
    const records = (await readTokensFile(this.tokensFile)).map((record) => ({
      record,
      digest: Buffer.from(record.hash, 'hex'),
    }));
    if (stamp !== undefined) this.#cache = { stamp, records };
    return records;
  }
}

function agentFacts(agent: NonNullable<TokenRecord['agent']>): { id: string; model?: string } {
  return agent.model === undefined ? { id: agent.id } : { id: agent.id, model: agent.model };
}
