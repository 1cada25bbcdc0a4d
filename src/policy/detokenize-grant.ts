import { SluiceError } from '../core/errors.js';
import type { IdentityFacts } from '../core/events.js';
import type { LoadedPolicy } from './loaded-policy.js';
import { identityMismatch } from './rule-match.js';

/**
 * The grant that lets `identity` reverse tokens made with `keyId`, or a POLICY_DENIED error that
 * says why not. Reversal is denied unless a `detokenize` grant names the identity and the key.
 */
export function detokenizeGrant(
  policy: LoadedPolicy,
  identity: IdentityFacts,
  keyId: string,
): { grant: string } {
  const reasons: string[] = [];
  for (const grant of policy.policy.detokenize) {
    if (!grant.key_ids.includes(keyId)) {
      reasons.push(`grant \`${grant.id}\` does not cover key id \`${keyId}\``);
      continue;
    }
    const mismatch = identityMismatch(grant, identity);
    if (mismatch === undefined) return { grant: grant.id };
    reasons.push(`grant \`${grant.id}\`: ${mismatch}`);
  }
  throw new SluiceError(
    'POLICY_DENIED',
    `\`${identity.subject}\` may not reverse tokens of key id \`${keyId}\`: ${reasons.length ? reasons.join('; ') : 'the policy has no `detokenize` grants'}. Ask the policy owners for a \`detokenize\` grant.`,
    { context: { subject: identity.subject, key_id: keyId } },
  );
}
