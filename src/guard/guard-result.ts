import type { RelationRef, StatementFacts } from './statement-facts.js';

/** Stable ids of the guard's rules; every deny reason names one. */
export type GuardRuleId =
  | 'single-statement'
  | 'statement-kind'
  | 'data-modifying-cte'
  | 'select-into'
  | 'locking-clause'
  | 'denied-function'
  | 'function-not-allowed'
  | 'sensitive-catalog'
  | 'unclassified';

export interface GuardReason {
  rule: GuardRuleId;
  message: string;
}

export interface GuardResult {
  verdict: 'allow' | 'deny';
  /** Empty when allowed. */
  reasons: GuardReason[];
  facts: StatementFacts;
}

export interface GuardOptions {
  /**
   * Allowlist mode: when set, a function whose name is not listed is denied (the denylist still
   * applies). A bare name matches unqualified and `pg_catalog.` calls; `schema.name` matches
   * exactly; a trailing `*` matches a prefix. Case-insensitive.
   */
  allowFunctions?: readonly string[];
  /** Extra denylist entries, same syntax as `allowFunctions` but a bare name matches any schema. */
  denyFunctions?: readonly string[];
  /**
   * The columns of a base relation from the catalog, or undefined when unknown. When given,
   * `*` is expanded and unqualified references over several relations are attributed.
   */
  columnsOf?: (relation: RelationRef) => readonly string[] | undefined;
}
