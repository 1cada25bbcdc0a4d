import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { SluiceError, throwIfAborted, toSluiceError } from '../core/errors.js';
import { authFailure } from './auth-failure.js';
import type { OidcAuthenticatorConfig } from './authenticators-config.js';
import { isRecord, readClaim } from './claim-path.js';
import type { Authenticator, Identity } from './identity.js';

export interface OidcAuthenticatorOptions {
  /** Directory that a relative `jwks_file` is resolved against (the config file's directory). */
  baseDir: string;
}

const KUBERNETES_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * Verifies JWTs from one issuer against its JWKS: signature (asymmetric algorithms only), `iss`,
 * `aud`, `exp` (required), `nbf`, with a clock-skew tolerance; then maps claims to an {@link Identity}.
 * The JWKS is loaded on first use, never in the constructor.
 *
 * @example
 * const oidc = new OidcAuthenticator(config, { baseDir: '/etc/sluice' });
 * const identity = await oidc.authenticate(jwt);
 */
export class OidcAuthenticator implements Authenticator {
  readonly type = 'oidc' as const;
  readonly issuer: string;
  readonly #config: OidcAuthenticatorConfig;
  readonly #baseDir: string;
  #keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(config: OidcAuthenticatorConfig, options: OidcAuthenticatorOptions) {
    this.#config = config;
    this.#baseDir = options.baseDir;
    this.issuer = config.issuer;
  }

  async authenticate(credential: string | undefined, signal?: AbortSignal): Promise<Identity> {
    throwIfAborted(signal);
    if (credential === undefined || credential === '') {
      throw authFailure(
        'missing_credential',
        `No token was given for issuer \`${this.issuer}\`. Pass one with \`--token-file\` or \`SLUICE_TOKEN\`.`,
        { authenticator: this.type },
      );
    }
    this.#checkHeader(credential);
    const keys = await this.#keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(credential, keys, {
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        algorithms: [...this.#config.algorithms],
        clockTolerance: this.#config.clock_skew_s,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw this.#failure(err);
    }
    throwIfAborted(signal);
    return this.#identity(payload);
  }

  /** Rejects what is not a signed compact JWT with an allowed algorithm before any key is touched. */
  #checkHeader(credential: string): void {
    const segments = credential.split('.').length;
    if (segments !== 3) {
      throw authFailure(
        'malformed',
        segments === 5
          ? 'The token is an encrypted JWT (JWE), which Sluice does not accept. Ask the issuer for a signed access token.'
          : `The token is not a JWT (expected 3 dot-separated parts, found ${segments}). Check that the whole token was copied.`,
        { authenticator: this.type },
      );
    }
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(credential).alg;
    } catch {
      throw authFailure(
        'malformed',
        'The token header is not valid base64url JSON. Check that the whole token was copied, without quotes or spaces.',
        { authenticator: this.type },
      );
    }
    if (typeof alg !== 'string') {
      throw authFailure('malformed', 'The token header has no `alg`. Ask the issuer for a signed JWT.', {
        authenticator: this.type,
      });
    }
    if (!(this.#config.algorithms as readonly string[]).includes(alg)) {
      const safeAlg = /^[A-Za-z0-9+-]{1,16}$/.test(alg) ? `\`${alg}\`` : 'an unrecognised algorithm';
      throw authFailure(
        'alg_not_allowed',
        `The token is signed with ${safeAlg}, which issuer \`${this.issuer}\` does not allow (allowed: ${this.#config.algorithms.map((a) => `\`${a}\``).join(', ')}). Unsigned and HMAC tokens are never accepted; request a token signed by the issuer's private key.`,
        { authenticator: this.type },
      );
    }
  }

  #keySet(): Promise<JWTVerifyGetKey> {
    this.#keys ??= this.#loadKeySet().catch((err: unknown) => {
      this.#keys = undefined;
      throw err;
    });
    return this.#keys;
  }

  async #loadKeySet(): Promise<JWTVerifyGetKey> {
    const { jwks_url: url, jwks_file: file } = this.#config;
    if (url !== undefined) {
      return createRemoteJWKSet(new URL(url), {
        timeoutDuration: this.#config.jwks_timeout_ms,
        cooldownDuration: this.#config.jwks_cooldown_ms,
      });
    }
    const path = resolve(this.#baseDir, file ?? '');
    let jwks: unknown;
    try {
      jwks = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new SluiceError(
        code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID',
        code === 'ENOENT'
          ? `JWKS file \`${path}\` for issuer \`${this.issuer}\` does not exist. Fetch the issuer's keys (its \`jwks_uri\`) into it, or use \`jwks_url\`.`
          : `JWKS file \`${path}\` for issuer \`${this.issuer}\` is not readable JSON. It must be a JSON Web Key Set (\`{"keys": [...]}\`).`,
        { context: { file: path, issuer: this.issuer }, cause },
      );
    }
    assertPublicKeySet(jwks, path, this.issuer);
    try {
      return createLocalJWKSet(jwks);
    } catch (cause) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `JWKS file \`${path}\` for issuer \`${this.issuer}\` is not a valid JSON Web Key Set.`,
        { context: { file: path, issuer: this.issuer }, cause },
      );
    }
  }

  #failure(err: unknown): SluiceError {
    const at = { authenticator: this.type };
    const verified = (payload: JWTPayload) => {
      const subject = readClaim(payload, this.#config.subject_claim);
      return typeof subject === 'string' && subject !== '' ? { ...at, subject } : at;
    };
    if (err instanceof errors.JWTExpired) {
      return authFailure(
        'expired',
        `The token from issuer \`${this.issuer}\` has expired. Get a fresh token from the issuer and try again.`,
        verified(err.payload),
      );
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      const who = verified(err.payload);
      if (err.reason === 'missing') {
        return authFailure(
          'missing_claim',
          `The token has no \`${err.claim}\` claim, which issuer \`${this.issuer}\` tokens must carry. Ask the issuer for a token with it.`,
          who,
        );
      }
      switch (err.claim) {
        case 'nbf':
          return authFailure(
            'not_yet_valid',
            `The token is not valid yet (its \`nbf\` is in the future beyond the ${this.#config.clock_skew_s}s clock skew). Check this machine's clock, or wait.`,
            who,
          );
        case 'iss':
          return authFailure(
            'wrong_issuer',
            `The token was not issued by \`${this.issuer}\`. Use a token from that issuer, or configure an \`oidc\` authenticator for the token's issuer.`,
            who,
          );
        case 'aud':
          return authFailure(
            'wrong_audience',
            `The token is not meant for Sluice: its audience does not include ${describeAudience(this.#config.audience)}. Request a token for that audience.`,
            who,
          );
        default:
          return authFailure(
            'invalid_claim',
            `The token's \`${err.claim}\` claim is invalid. Ask the issuer for a well-formed token.`,
            who,
          );
      }
    }
    if (
      err instanceof errors.JWSSignatureVerificationFailed ||
      err instanceof errors.JWKSMultipleMatchingKeys
    ) {
      return authFailure(
        'bad_signature',
        `The token's signature does not verify with the keys of issuer \`${this.issuer}\`. The token was altered or signed by someone else; get a new token from the issuer.`,
        at,
      );
    }
    if (err instanceof errors.JWKSNoMatchingKey) {
      return authFailure(
        'unknown_kid',
        `The token names a signing key (\`kid\`) that is not in the JWKS of issuer \`${this.issuer}\`. If the issuer rotated its keys, update the JWKS; otherwise the token was not signed by this issuer.`,
        at,
      );
    }
    if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
      return authFailure(
        'alg_not_allowed',
        `The token's algorithm is not allowed for issuer \`${this.issuer}\`. Request a token signed with one of ${this.#config.algorithms.map((a) => `\`${a}\``).join(', ')}.`,
        at,
      );
    }
    if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) {
      return authFailure(
        'malformed',
        'The token is not a well-formed JWT. Check that the whole token was copied, without quotes or spaces.',
        at,
      );
    }
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
      return authFailure(
        'jwks_unavailable',
        `The signing keys of issuer \`${this.issuer}\` could not be fetched from \`${this.#config.jwks_url ?? this.#config.jwks_file}\`. Check the network and the URL, then retry.`,
        { ...at, retryable: true, cause: err },
      );
    }
    return toSluiceError(err);
  }

  #identity(payload: JWTPayload): Identity {
    const c = this.#config;
    const tokenSubject = readClaim(payload, c.subject_claim);
    if (typeof tokenSubject !== 'string' || tokenSubject === '') {
      throw authFailure(
        'missing_claim',
        `The token has no string \`${c.subject_claim}\` claim to use as the subject. Set \`subject_claim\` for issuer \`${this.issuer}\` to the claim that names the caller.`,
        { authenticator: this.type },
      );
    }
    // RFC 8693: `sub` is the principal; `act.sub` is the party actually making the call.
    const actor = readClaim(payload, c.actor_claim);
    const actorSubject =
      isRecord(actor) && typeof actor['sub'] === 'string' && actor['sub'] !== '' ? actor['sub'] : undefined;
    const subject = actorSubject ?? tokenSubject;
    const onBehalfOf = actorSubject !== undefined ? tokenSubject : stringClaim(payload, c.on_behalf_of_claim);

    const groups = new Set(this.#groups(payload, subject));
    if (c.kubernetes_groups) {
      const match = KUBERNETES_SUBJECT.exec(subject);
      if (match) {
        groups.add('system:serviceaccounts');
        groups.add(`system:serviceaccounts:${match[1]}`);
      }
    }
    const agentId = stringClaim(payload, c.agent_claims.id);
    const agentModel = stringClaim(payload, c.agent_claims.model);
    return {
      subject,
      issuer: c.issuer,
      method: 'oidc',
      groups: [...groups],
      verified: true,
      ...(onBehalfOf === undefined || onBehalfOf === subject ? {} : { on_behalf_of: onBehalfOf }),
      ...(agentId === undefined
        ? {}
        : { agent: { id: agentId, ...(agentModel === undefined ? {} : { model: agentModel }) } }),
      ...(typeof payload.exp === 'number' ? { expires_at: new Date(payload.exp * 1000).toISOString() } : {}),
    };
  }

  #groups(payload: JWTPayload, subject: string): string[] {
    const value = readClaim(payload, this.#config.groups_claim);
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return value.split(/\s+/).filter((g) => g !== '');
    if (Array.isArray(value) && value.every((g) => typeof g === 'string'))
      return value.filter((g) => g !== '');
    throw authFailure(
      'invalid_claim',
      `The token's \`${this.#config.groups_claim}\` claim is neither a list of strings nor a space-separated string. Fix the issuer's claim mapping, or point \`groups_claim\` at another claim.`,
      { authenticator: this.type, subject },
    );
  }
}

function stringClaim(payload: JWTPayload, path: string): string | undefined {
  const value = readClaim(payload, path);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function describeAudience(audience: string | string[]): string {
  return (Array.isArray(audience) ? audience : [audience]).map((a) => `\`${a}\``).join(' or ');
}

function isFetchFailure(err: unknown): boolean {
  // createRemoteJWKSet surfaces network failures as fetch's TypeError and bad responses as JOSEError.
  return (
    (err instanceof TypeError && /fetch/i.test(err.message)) ||
    (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC') ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

/** A JWKS for verification holds public keys only; private or symmetric material is a config mistake. */
function assertPublicKeySet(jwks: unknown, path: string, issuer: string): asserts jwks is JSONWebKeySet {
  const keys = isRecord(jwks) ? jwks['keys'] : undefined;
  if (!Array.isArray(keys)) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `JWKS file \`${path}\` for issuer \`${issuer}\` has no \`keys\` array. It must be a JSON Web Key Set (\`{"keys": [...]}\`).`,
      { context: { file: path, issuer } },
    );
  }
  const unsafe = keys.findIndex((k) => !isRecord(k) || k['kty'] === 'oct' || 'd' in k);
  if (unsafe !== -1) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `JWKS file \`${path}\` for issuer \`${issuer}\` holds private or symmetric key material (key ${unsafe + 1}). Keep only the issuer's public keys in it, and treat the exposed key as compromised.`,
      { context: { file: path, issuer, key_index: unsafe } },
    );
  }
}
