import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Policy } from './policy-schema.js';

/**
 * The policy's version: SHA-256 (hex) of the RFC 8785 canonical JSON of the parsed policy, so
 * comments, key order and formatting do not change it and any change of meaning does.
 */
export function policyVersion(policy: Policy): string {
  return createHash('sha256')
    .update(canonicalize(policy) ?? 'null')
    .digest('hex');
}
