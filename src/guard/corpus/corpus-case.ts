import type { GuardOptions, GuardRuleId } from '../guard-result.js';

/** One query of a guard test corpus. */
export interface CorpusCase {
  name: string;
  sql: string;
  /** For denied cases: a rule that must be among the reasons. */
  rule?: GuardRuleId;
  options?: GuardOptions;
}
