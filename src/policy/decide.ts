import type { IdentityFacts } from '../core/events.js';
import type { MaskProperties } from '../core/transform.js';
import type { GuardResult } from '../guard/guard-result.js';
import type { ColumnSource, RelationRef } from '../guard/statement-facts.js';
import type {
  ApprovalRequirement,
  Decision,
  DecisionReason,
  MandatoryMask,
  PredicateUse,
  RequestedMask,
} from './decision.js';
import { engineDeniedFunctions } from './engine-functions.js';
import type { LoadedPolicy } from './loaded-policy.js';
import { commonSatisfiers, formatSatisfier, satisfiesAll } from './mask-satisfaction.js';
import type { DataClass, PolicyRule } from './policy-schema.js';
import { DEFAULT_SCHEMAS, normalizeRelation, relationLabel } from './relation-name.js';
import type { RowFilter } from './row-filter.js';
import { grantProblems, identityMismatch, listed, tableMatcher } from './rule-match.js';

/** Everything the policy looks at for one query of one identity. */
export interface DecisionInput {
  identity: IdentityFacts;
  purpose: string;
  /** The connection's name in the config file. */
  connection: string;
  /** The connection's type (`postgres`, `duckdb`, `fixture` …): decides the default schema. */
  connectionType: string;
  /** The query text the guard analysed. */
  sql: string;
  /** `analyzeSql(sql, …)` — pass `columnsOf` there so `*` is expanded from the catalog. */
  guard: GuardResult;
  /** Masks the pipeline asks for, by output column. */
  requestedMasks: Readonly<Record<string, RequestedMask>>;
  /** The properties of a registered mask; undefined when no such mask is registered. */
  maskProperties: (mask: string, params: Record<string, unknown>) => MaskProperties | undefined;
  /** Rows the query is expected to return, when known (for `rows_over`). */
  estimatedRows?: number;
  /** The pipeline source's name, used in messages. */
  source?: string;
}

const NO_RULE = 'no-matching-rule';

/**
 * Decides whether an identity may run a query for a purpose, and under which masks, row filters,
 * row limit and approvals. Pure: no I/O. Fails closed: no rule, no data; an output column whose
 * origin cannot be traced while classified columns are read is denied.
 *
 * @example
 * const guard = await analyzeSql(sql, { ...policy.guardOptions, columnsOf });
 * const decision = decide({ identity, purpose: 'model-training', connection: 'demo', connectionType: 'fixture',
 *   sql, guard, requestedMasks, maskProperties }, policy);
 * if (decision.verdict === 'deny') throw new SluiceError('POLICY_DENIED', decision.reasons.map((r) => r.message).join('\n'));
 */
export function decide(input: DecisionInput, loaded: LoadedPolicy): Decision {
  const { policy } = loaded;
  const { guard, connection, connectionType, purpose, identity } = input;
  const facts = guard.facts;
  const decision: Decision = {
    verdict: 'deny',
    reasons: [],
    policy_version: loaded.version,
    mandatory_masks: {},
    row_filters: [],
    predicate_uses: [],
    relations: [],
    query_ast_hash: facts.astHash,
  };
  const deny = (reasons: DecisionReason[]): Decision => ({ ...decision, verdict: 'deny', reasons });

  if (guard.verdict === 'deny') {
    return deny(guard.reasons.map((r) => ({ rule: `guard:${r.rule}`, message: r.message })));
  }

  const engineDenied = engineDeniedFunctions(connectionType, facts.functions);
  if (engineDenied.length > 0) {
    return deny([
      {
        rule: 'guard:denied-function',
        message: `The query calls ${engineDenied.map((f) => `\`${f}\``).join(', ')}, which on a \`${connectionType}\` connection read${engineDenied.length === 1 ? 's' : ''} tables, files or settings by name, out of the policy's sight. Read tables in FROM instead.`,
      },
    ]);
  }

  const defaultSchema = policy.connections[connection]?.default_schema ?? DEFAULT_SCHEMAS[connectionType];
  if (defaultSchema === undefined) {
    return deny([
      {
        rule: NO_RULE,
        message: `The policy does not know the default schema of connection \`${connection}\` (type \`${connectionType}\`). Set \`connections.${connection}.default_schema\` in the policy \`${loaded.path}\`.`,
      },
    ]);
  }
  const relations = facts.relations.map((r) => normalizeRelation(r, defaultSchema));
  decision.relations = relations.map(relationLabel);

  if (!Object.hasOwn(policy.purposes, purpose)) {
    const declared = Object.keys(policy.purposes).map((p) => `\`${p}\``);
    return deny([
      {
        rule: NO_RULE,
        message: `Purpose \`${purpose}\` is not declared in the policy \`${loaded.path}\`. Declared purposes: ${declared.join(', ') || 'none'}.`,
      },
    ]);
  }

  const applicable: PolicyRule[] = [];
  const mismatches: string[] = [];
  for (const rule of policy.rules) {
    const why =
      identityMismatch(rule, identity) ??
      (listed(rule.purposes, purpose) ? undefined : `purpose \`${purpose}\` is not in its \`purposes\``) ??
      (listed(rule.connections, connection)
        ? undefined
        : `connection \`${connection}\` is not in its \`connections\``);
    if (why === undefined) applicable.push(rule);
    else mismatches.push(`\`${rule.id}\`: ${why}`);
  }
  if (applicable.length === 0) {
    return deny([
      {
        rule: NO_RULE,
        message: `No rule grants ${describeIdentity(identity)} purpose \`${purpose}\` on connection \`${connection}\`${
          mismatches.length === 0
            ? ' (the policy has no rules)'
            : `. Rules considered: ${mismatches.join('; ')}`
        }. Ask the policy owners for a rule.`,
      },
    ]);
  }

  let rule: PolicyRule | undefined;
  const grantReasons: DecisionReason[] = [];
  for (const candidate of applicable) {
    const problems = grantProblems(candidate, facts, defaultSchema);
    if (problems.length === 0) {
      rule = candidate;
      break;
    }
    grantReasons.push(...problems.map((message) => ({ rule: candidate.id, message })));
  }
  if (rule === undefined) return deny(grantReasons);
  decision.matched_rule = rule.id;
  const ruleId = rule.id;

  const denials: DecisionReason[] = [];
  const approvals: string[] = [];
  const classify = (ref: RelationRef, column: string) =>
    loaded.classify(connection, ref, column, connectionType);
  const classDefs = (names: string[]): DataClass[] | undefined => {
    const defs = names.map((n) => policy.classes[n]);
    return defs.every((d) => d !== undefined) ? (defs as DataClass[]) : undefined;
  };
  const sourceLabel = (sources: ColumnSource[]) =>
    input.source ?? [...new Set(sources.map((s) => s.relation.name))].join('`, `');

  // ---- output columns: the class of each, inherited through the lineage ----------------------
  const outputCounts = new Map<string, number>();
  for (const o of facts.lineage) outputCounts.set(o.output, (outputCounts.get(o.output) ?? 0) + 1);
  const outputSources = new Set<string>();
  const classifiedRelations = facts.relations.filter((r) => classify(r, '*').length > 0);
  const requestedReversible = new Set<string>();

  for (const output of facts.lineage) {
    for (const s of output.sources)
      outputSources.add(sourceKey(normalizeRelation(s.relation, defaultSchema), s.column));
    if (output.star === true && !output.undetermined) {
      const relation = output.sources[0]?.relation;
      if (relation !== undefined && classify(relation, '*').length > 0) {
        denials.push({
          rule: ruleId,
          message: `The query selects \`*\` from \`${relation.name}\`, which has classified columns, and its columns are not known here. Name the columns instead of \`*\`.`,
        });
      }
      continue;
    }
    if (output.undetermined) {
      if (classifiedRelations.length > 0) {
        denials.push({
          rule: ruleId,
          message: `Output column \`${output.output}\` could not be traced to the columns it derives from, and the query reads classified columns of ${classifiedRelations
            .map((r) => `\`${r.name}\``)
            .join(', ')}. Qualify its column names or simplify the expression.`,
        });
      }
      continue;
    }
    const classified = output.sources
      .map((s) => ({ source: s, classes: classify(s.relation, s.column) }))
      .filter((c) => c.classes.length > 0);
    const requested = input.requestedMasks[output.output];
    const properties =
      requested === undefined ? undefined : input.maskProperties(requested.mask, requested.params);
    if (requested !== undefined && properties?.reversible === true) requestedReversible.add(output.output);
    if (classified.length === 0) continue;

    const classes = [...new Set(classified.flatMap((c) => c.classes))].sort();
    const sources = classified.map((c) =>
      sourceKey(normalizeRelation(c.source.relation, defaultSchema), c.source.column),
    );
    const defs = classDefs(classes);
    if (defs === undefined) {
      denials.push({
        rule: ruleId,
        message: `Output column \`${output.output}\` is classified ${quoteList(classes)}, and a class is not defined in the policy. Define it under \`classes\`.`,
      });
      continue;
    }
    if ((outputCounts.get(output.output) ?? 0) > 1) {
      denials.push({
        rule: ruleId,
        message: `Output column \`${output.output}\` appears more than once and derives from classified columns; give each output column its own alias.`,
      });
      continue;
    }
    const unmaskedAllowed = defs.every((d) => listed(d.allow_unmasked_for, purpose));
    const satisfiedBy = commonSatisfiers(defs);
    let satisfied: boolean;
    if (requested === undefined) satisfied = unmaskedAllowed;
    else if (properties === undefined) satisfied = false;
    else satisfied = unmaskedAllowed || satisfiesAll(defs, requested);
    const mandatory: MandatoryMask = {
      classes,
      sources,
      satisfied_by: satisfiedBy,
      satisfied,
      unmasked_allowed: unmaskedAllowed,
    };
    if (requested !== undefined) mandatory.requested = requested;
    decision.mandatory_masks[output.output] = mandatory;

    if (!satisfied) {
      const head = `Column \`${output.output}\` of source \`${sourceLabel(classified.map((c) => c.source))}\` is classified ${quoteList(classes)}`;
      const derived =
        output.derived || classified.some((c) => c.source.column !== output.output)
          ? ` It derives from ${sources.map((s) => `\`${s}\``).join(', ')}.`
          : '';
      const fix =
        satisfiedBy.length > 0
          ? `mask it with one of: ${satisfiedBy.map(formatSatisfier).join(', ')}.`
          : 'no single mask satisfies all its classes; select the classified columns separately.';
      const got =
        requested === undefined
          ? ''
          : properties === undefined
            ? `; its mask \`${requested.mask}\` is not registered`
            : `; its mask \`${requested.mask}\` does not satisfy it`;
      denials.push({ rule: ruleId, message: `${head}${got}; ${fix}${derived}` });
      continue;
    }
    for (const [i, def] of defs.entries()) {
      const when = def.approval?.when;
      const unmasked = requested === undefined;
      const reversible = unmasked || properties?.reversible === true;
      if (when === 'always' || (when === 'unmasked' && unmasked) || (when === 'reversible' && reversible)) {
        approvals.push(
          `Column \`${output.output}\` is classified \`${classes[i]}\`, read ${unmasked ? 'unmasked' : `with mask \`${requested.mask}\``}; the class requires an approval${when === 'always' ? '' : ` when read ${when === 'unmasked' ? 'unmasked' : 'unmasked or with a reversible mask'}`}.`,
        );
      }
    }
  }

  // ---- classified columns read only in WHERE / JOIN / GROUP BY / ORDER BY ----------------------
  const predicateCandidates: ColumnSource[] = [
    ...facts.columns.flatMap((read) => read.columns.map((column) => ({ relation: read.relation, column }))),
    ...facts.unattributedColumns.flatMap((u) => u.candidates.filter((c) => c.column !== '*')),
  ];
  const seenUses = new Set<string>();
  for (const candidate of predicateCandidates) {
    const relation = normalizeRelation(candidate.relation, defaultSchema);
    const key = sourceKey(relation, candidate.column);
    if (outputSources.has(key) || seenUses.has(key)) continue;
    seenUses.add(key);
    const classes = classify(candidate.relation, candidate.column);
    if (classes.length === 0) continue;
    const use: PredicateUse = { relation: relationLabel(relation), column: candidate.column, classes };
    decision.predicate_uses.push(use);
    for (const cls of classes) {
      const mode = policy.classes[cls]?.predicate_use ?? 'deny';
      const what = `Column \`${key}\` is classified \`${cls}\` and is read outside the output (in WHERE, JOIN, GROUP BY or ORDER BY)`;
      if (mode === 'deny') {
        denials.push({ rule: ruleId, message: `${what}; the class forbids that. Remove it from the query.` });
      } else if (mode === 'approval') {
        approvals.push(`${what}; the class requires an approval for that.`);
      }
    }
  }

  // ---- row filters and limit -------------------------------------------------------------------
  const filters = new Map<string, RowFilter>();
  for (const [pattern, predicate] of Object.entries(rule.row_filter)) {
    const matches = tableMatcher(pattern, defaultSchema);
    for (const relation of relations) {
      if (!matches(relation)) continue;
      const filter = { relation: relationLabel(relation), predicate };
      filters.set(JSON.stringify(filter), filter);
    }
  }
  decision.row_filters = [...filters.values()];
  if (rule.row_limit !== undefined) decision.row_limit = rule.row_limit;

  // ---- approvals required by the purpose and the rule ------------------------------------------
  if (policy.purposes[purpose]?.require_approval === true) {
    approvals.push(`Purpose \`${purpose}\` requires an approval.`);
  }
  const conditions = rule.require_approval;
  if (conditions === true) {
    approvals.push(`Rule \`${ruleId}\` requires an approval for every access.`);
  } else if (conditions !== false) {
    if (conditions.always) approvals.push(`Rule \`${ruleId}\` requires an approval for every access.`);
    if (conditions.rows_over !== undefined) {
      const bounds = [input.estimatedRows, rule.row_limit].filter((n): n is number => n !== undefined);
      const bound = bounds.length === 0 ? undefined : Math.min(...bounds);
      if (bound === undefined) {
        approvals.push(
          `Rule \`${ruleId}\` requires an approval above ${conditions.rows_over} rows, and the number of rows is not known in advance.`,
        );
      } else if (bound > conditions.rows_over) {
        approvals.push(
          `The query may read up to ${bound} rows; rule \`${ruleId}\` requires an approval above ${conditions.rows_over}.`,
        );
      }
    }
    if (conditions.reversible_masks && requestedReversible.size > 0) {
      approvals.push(
        `Column${requestedReversible.size > 1 ? 's' : ''} ${quoteList([...requestedReversible])} use${requestedReversible.size > 1 ? '' : 's'} a reversible mask; rule \`${ruleId}\` requires an approval for that.`,
      );
    }
    for (const pattern of conditions.tables) {
      const matches = tableMatcher(pattern, defaultSchema);
      for (const relation of relations.filter(matches)) {
        approvals.push(`Reading \`${relationLabel(relation)}\` requires an approval (rule \`${ruleId}\`).`);
      }
    }
  }

  if (denials.length > 0) return deny(denials);
  const granted: DecisionReason = {
    rule: ruleId,
    message: `Rule \`${ruleId}\` grants ${describeIdentity(identity)} purpose \`${purpose}\` on \`${connection}\` (${decision.relations.map((r) => `\`${r}\``).join(', ') || 'no tables'}).`,
  };
  const uniqueApprovals = [...new Set(approvals)];
  if (uniqueApprovals.length === 0) return { ...decision, verdict: 'allow', reasons: [granted] };
  const approvers = rule.approvers ?? policy.approvals;
  if (approvers === undefined) {
    return deny([
      {
        rule: ruleId,
        message: `The access requires an approval (${uniqueApprovals.join(' ')}) but the policy names no approvers. Add an \`approvals\` section to the policy.`,
      },
    ]);
  }
  const approval: ApprovalRequirement = {
    reasons: uniqueApprovals,
    approver_groups: [...approvers.approver_groups],
    mode: approvers.mode,
    min_approvals: approvers.min_approvals,
    ttl: approvers.ttl,
    request_ttl: approvers.request_ttl,
  };
  return {
    ...decision,
    verdict: 'approval_required',
    reasons: [granted, ...uniqueApprovals.map((message) => ({ rule: ruleId, message }))],
    approval,
  };
}

function sourceKey(relation: { schema: string; name: string }, column: string): string {
  return `${relation.schema}.${relation.name}.${column}`;
}

function quoteList(names: readonly string[]): string {
  const quoted = names.map((n) => `\`${n}\``);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

function describeIdentity(identity: IdentityFacts): string {
  const groups =
    identity.groups.length === 0
      ? 'no groups'
      : `groups ${identity.groups.map((g) => `\`${g}\``).join(', ')}`;
  return `subject \`${identity.subject}\` (method \`${identity.method}\`${identity.verified ? '' : ', unverified'}, ${groups})`;
}
