import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import { SluiceError } from '../core/errors.js';
import type { IdentityFacts } from '../core/events.js';
import { createSecretResolver } from '../core/secrets.js';
import { AuditLog } from '../evidence/audit-log.js';
import { detokenizeGrant } from '../policy/detokenize-grant.js';
import { loadPolicy } from '../policy/load-policy.js';
import { createFpe, fpeColumnTweak } from '../transforms/fpe.js';
import type { FpeIntegerType } from '../transforms/fpe-integer.js';
import { createKeyRing } from '../transforms/key-ring.js';

export interface DetokenizeRequest {
  keyId: string;
  /** 14 hex digits; or derive it from `column` as the `fpe` mask does by default. */
  tweak?: string | undefined;
  column?: string | undefined;
  radix?: number | undefined;
  alphabet?: string | undefined;
  luhn?: boolean | undefined;
  /** The tokens come from an integer column of this type. */
  integer?: FpeIntegerType | undefined;
}

/**
 * Reverses `fpe` tokens for an identity the policy grants it. The grant check and the use (key id,
 * count, grant; never a token or a value) are appended to the audit log before anything is
 * decrypted; a denial is audited too.
 */
export async function detokenize(
  loaded: LoadedConfig,
  identity: IdentityFacts,
  request: DetokenizeRequest,
  tokens: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const { config, configDir } = loaded;
  if (!config.policy) {
    throw new SluiceError(
      'POLICY_DENIED',
      'Detokenization needs a policy with a `detokenize` grant; the config names no `policy`.',
    );
  }
  const policy = await loadPolicy(resolve(configDir, config.policy));
  const audit = await AuditLog.open(resolve(configDir, config.audit.path));
  try {
    let grant: string;
    try {
      grant = detokenizeGrant(policy, identity, request.keyId).grant;
    } catch (err) {
      await audit.append({
        kind: 'detokenize.denied',
        subject: identity.subject,
        key_id: request.keyId,
        policy_version: policy.version,
      });
      throw err;
    }
    if (request.tweak === undefined && request.column === undefined) {
      throw new SluiceError(
        'USAGE',
        'Give the FF3-1 tweak with `--tweak <14 hex digits>`, or the column the tokens come from with `--column <name>`.',
      );
    }
    await audit.append({
      kind: 'detokenize.performed',
      subject: identity.subject,
      method: identity.method,
      verified: identity.verified,
      key_id: request.keyId,
      grant,
      policy_version: policy.version,
      values: tokens.length,
    });
    const key = await createKeyRing(config.keys, createSecretResolver(configDir, env)).get(request.keyId);
    const fpe = createFpe({
      key: Buffer.from(key).toString('hex'),
      tweak: request.tweak ?? fpeColumnTweak(request.column as string),
      ...(request.radix === undefined ? {} : { radix: request.radix }),
      ...(request.alphabet === undefined ? {} : { alphabet: request.alphabet }),
      ...(request.luhn === undefined ? {} : { luhn: request.luhn }),
      ...(request.integer === undefined ? {} : { integer: request.integer }),
    });
    key.fill(0);
    return tokens.map((t) => fpe.decrypt(t));
  } finally {
    await audit.close();
  }
}
