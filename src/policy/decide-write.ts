import type { IdentityFacts } from '../core/events.js';
import type { ApprovalRequirement, DecisionReason } from './decision.js';
import type { LoadedPolicy } from './loaded-policy.js';
import type { ApprovalSettings, WriteRule } from './policy-schema.js';
import { DEFAULT_SCHEMAS, normalizeRelation, relationLabel, relationRef } from './relation-name.js';
import { identityMismatch, listed, tableMatcher } from './rule-match.js';

/** One output's write into a table, as the policy sees it. */
export interface WriteDecisionInput {
  identity: IdentityFacts;
  purpose: string;
  /** The connection's name in the config file. */
  connection: string;
  /** Its type: decides the default schema of an unqualified table. */
  connectionType: string;
  /** The target table as the pipeline names it (`table` or `schema.table`). */
  table: string;
  mode: string;
}

/** The policy's answer for one write. */
export interface WriteDecision {
  verdict: 'allow' | 'deny' | 'approval_required';
  reasons: DecisionReason[];
  policy_version: string;
  matched_rule?: string;
  /** The target as `schema.table`, the connection's default schema filled in. */
  table: string;
  approval?: ApprovalRequirement;
}

const NO_RULE = 'no-matching-write-rule';

/**
 * Decides whether an identity may write a pipeline output into a table, and whether that needs an
 * approval. Without a `writes` section the policy does not restrict writes. With one, a write is
 * granted by the first matching `writes.rules` entry or by a `writes.protected` entry covering the
 * target (which always needs an approval); anything else follows `writes.unmatched` (default
 * `deny`). Pure: no I/O.
 *
 * @example
 * const d = decideWrite({ identity, purpose: 'model-training', connection: 'warehouse',
 *   connectionType: 'postgres', table: 'analytics.training_customers', mode: 'replace' }, policy);
 */
export function decideWrite(input: WriteDecisionInput, loaded: LoadedPolicy): WriteDecision {
  const { policy } = loaded;
  const { identity, purpose, connection, connectionType, table, mode } = input;
  const defaultSchema =
    policy.connections[connection]?.default_schema ?? DEFAULT_SCHEMAS[connectionType] ?? 'public';
  const relation = normalizeRelation(relationRef(table), defaultSchema);
  const label = relationLabel(relation);
  const base = { policy_version: loaded.version, table: label };
  const deny = (reasons: DecisionReason[]): WriteDecision => ({ ...base, verdict: 'deny', reasons });
  const writes = policy.writes;
  if (writes === undefined) {
    return {
      ...base,
      verdict: 'allow',
      reasons: [
        {
          rule: 'no-writes-section',
          message: 'The policy has no `writes` section, so it does not restrict writes.',
        },
      ],
    };
  }
  if (!Object.hasOwn(policy.purposes, purpose)) {
    const declared = Object.keys(policy.purposes).map((p) => `\`${p}\``);
    return deny([
      {
        rule: NO_RULE,
        message: `Purpose \`${purpose}\` is not declared in the policy \`${loaded.path}\`. Declared purposes: ${declared.join(', ') || 'none'}.`,
      },
    ]);
  }
  const covers = (connections: readonly string[], tables: readonly string[]) =>
    listed(connections, connection) && tables.some((t) => tableMatcher(t, defaultSchema)(relation));

  const mismatches: string[] = [];
  let rule: WriteRule | undefined;
  for (const candidate of writes.rules) {
    const why =
      identityMismatch(candidate, identity) ??
      (listed(candidate.purposes, purpose)
        ? undefined
        : `purpose \`${purpose}\` is not in its \`purposes\``) ??
      (covers(candidate.connections, candidate.tables)
        ? undefined
        : `\`${label}\` on \`${connection}\` is not in its \`connections\`/\`tables\``);
    if (why === undefined) {
      rule = candidate;
      break;
    }
    mismatches.push(`\`${candidate.id}\`: ${why}`);
  }
  const protectedBy = writes.protected.filter((p) => covers([p.connection], p.tables));

  const what = `Writing \`${label}\` on \`${connection}\` (mode \`${mode}\`)`;
  const reasons: DecisionReason[] = [];
  const approvals: string[] = [];
  let approvers: ApprovalSettings | undefined;
  if (rule) {
    reasons.push({
      rule: rule.id,
      message: `Rule \`${rule.id}\` grants \`${identity.subject}\` writes into \`${label}\` on \`${connection}\` for purpose \`${purpose}\`.`,
    });
    if (rule.require_approval) approvals.push(`${what} needs an approval (rule \`${rule.id}\`).`);
  } else if (protectedBy.length === 0) {
    if (writes.unmatched === 'allow') {
      return {
        ...base,
        verdict: 'allow',
        reasons: [
          {
            rule: 'writes-unmatched-allow',
            message: `No write rule covers \`${label}\`; the policy allows unmatched writes.`,
          },
        ],
      };
    }
    return deny([
      {
        rule: NO_RULE,
        message: `No write rule of the policy \`${loaded.path}\` lets \`${identity.subject}\` write \`${label}\` on \`${connection}\` for purpose \`${purpose}\`${mismatches.length > 0 ? ` (${mismatches.join('; ')})` : ''}. Ask the policy owners for a \`writes.rules\` entry, or write elsewhere.`,
      },
    ]);
  }
  for (const p of protectedBy) {
    const why = p.description === undefined ? '' : ` (${p.description})`;
    approvals.push(`${what} needs an approval: the table is protected${why}.`);
    approvers ??= p.approvers;
  }
  if (approvals.length === 0)
    return { ...base, verdict: 'allow', reasons, ...(rule ? { matched_rule: rule.id } : {}) };
  approvers ??= rule?.approvers ?? writes.approvers ?? policy.approvals;
  const ruleId = rule?.id ?? 'writes.protected';
  if (approvers === undefined) {
    return deny([
      {
        rule: ruleId,
        message: `${what} needs an approval but the policy names no approvers. Add \`writes.approvers\` or \`approvals\` to the policy.`,
      },
    ]);
  }
  return {
    ...base,
    verdict: 'approval_required',
    reasons: [...reasons, ...approvals.map((message) => ({ rule: ruleId, message }))],
    ...(rule ? { matched_rule: rule.id } : {}),
    approval: {
      reasons: approvals,
      approver_groups: [...approvers.approver_groups],
      mode: approvers.mode,
      min_approvals: approvers.min_approvals,
      ttl: approvers.ttl,
      request_ttl: approvers.request_ttl,
    },
  };
}
