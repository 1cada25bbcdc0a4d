import type { MaskSatisfier } from './policy-schema.js';
import type { RowFilter } from './row-filter.js';

/** A mask a pipeline asks for on one output column. */
export interface RequestedMask {
  mask: string;
  params: Record<string, unknown>;
}

/** One reason of a decision; `rule` names the policy rule (or guard rule) it comes from. */
export interface DecisionReason {
  /** A policy rule id, `guard:<rule>` for the SQL guard, or `no-matching-rule`. */
  rule: string;
  message: string;
}

/** What the policy requires of one output column derived from classified columns. */
export interface MandatoryMask {
  /** Every class the column inherits; all must be satisfied. */
  classes: string[];
  /** The classified source columns it derives from, as `schema.table.column`. */
  sources: string[];
  /** Masks that satisfy every class (empty when no single mask does). */
  satisfied_by: MaskSatisfier[];
  requested?: RequestedMask;
  satisfied: boolean;
  /** True when the purpose may read every class of the column unmasked. */
  unmasked_allowed: boolean;
}

/** A classified column the query reads only in WHERE/JOIN/GROUP BY/ORDER BY, not in its output. */
export interface PredicateUse {
  relation: string;
  column: string;
  classes: string[];
}

export interface ApprovalRequirement {
  reasons: string[];
  approver_groups: string[];
  mode: 'any_of' | 'all_of';
  min_approvals: number;
  /** How long a granted approval stays valid, e.g. `24h`. */
  ttl: string;
  request_ttl: string;
}

/** The policy's answer for one query of one identity, recorded with the policy version. */
export interface Decision {
  verdict: 'allow' | 'deny' | 'approval_required';
  /** Why it was denied (deny), or what was checked and noted (allow). Names the rule. */
  reasons: DecisionReason[];
  policy_version: string;
  matched_rule?: string;
  /** Per output column: the classes it carries and whether the requested mask satisfies them. */
  mandatory_masks: Record<string, MandatoryMask>;
  /** Predicates to add to the query with `applyRowFilters` before it runs. */
  row_filters: RowFilter[];
  /** Add with `applyRowLimit` before the query runs. */
  row_limit?: number;
  approval?: ApprovalRequirement;
  /** Classified columns read outside the output (allowed by `predicate_use: allow`, recorded). */
  predicate_uses: PredicateUse[];
  /** Relations read, as `schema.table` with the connection's default schema filled in. */
  relations: string[];
  /** The guard's AST hash of the query the decision is about. */
  query_ast_hash: string;
}
