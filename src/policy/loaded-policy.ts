import type { GuardOptions } from '../guard/guard-result.js';
import { type Classify, createClassifier } from './classifier.js';
import type { Policy } from './policy-schema.js';
import { policyVersion } from './policy-version.js';

/** A parsed, checked policy ready for decisions. */
export interface LoadedPolicy {
  /** The file it came from (`<inline>` for policies built in code). */
  path: string;
  /** SHA-256 of the canonical JSON of `policy`; recorded with every decision. */
  version: string;
  policy: Policy;
  /** The classes of a column (every matching classification applies); empty when unclassified. */
  classify: Classify;
  /** The policy's additions to the SQL guard's function lists, to merge into `analyzeSql` options. */
  guardOptions: Pick<GuardOptions, 'allowFunctions' | 'denyFunctions'>;
}

/** Wraps an already validated policy. `loadPolicy` is the way to read one from a file. */
export function compilePolicy(policy: Policy, path = '<inline>'): LoadedPolicy {
  const guardOptions: Pick<GuardOptions, 'allowFunctions' | 'denyFunctions'> = {};
  if (policy.functions?.allow !== undefined) guardOptions.allowFunctions = policy.functions.allow;
  if (policy.functions !== undefined && policy.functions.deny.length > 0)
    guardOptions.denyFunctions = policy.functions.deny;
  return { path, version: policyVersion(policy), policy, classify: createClassifier(policy), guardOptions };
}
