import { createHash } from 'node:crypto';
import { type ApprovalGate, enforceApproval } from '../approvals/approval-gate.js';
import type { MaskConfig } from '../config/load-project.js';
import { SluiceError } from '../core/errors.js';
import type { EventBus, IdentityFacts } from '../core/events.js';
import type { Registry } from '../core/registry.js';
import { sourceQuery } from '../core/source-query.js';
import type { MaskProperties } from '../core/transform.js';
import { analyzeSql } from '../guard/analyze-sql.js';
import { formatRelation } from '../guard/statement-facts.js';
import { decide } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { ENGINE_DENIED_FUNCTIONS } from '../policy/engine-functions.js';
import type { LoadedPolicy } from '../policy/loaded-policy.js';
import { formatSatisfier } from '../policy/mask-satisfaction.js';
import { applyRowFilters } from '../policy/row-filter.js';
import { applyRowLimit } from '../policy/row-limit.js';

/** Who asks, for what; the same for every source of a run. */
export interface AccessRequest {
  identity: IdentityFacts;
  purpose: string;
  /** The security team's policy; without one only the SQL guard applies. */
  policy?: LoadedPolicy | undefined;
  /** Where approvals are looked up and requested; without one, access that needs an approval stops. */
  approvals?: ApprovalGate | undefined;
}

export interface SourceRequest {
  source: string;
  connection: string;
  connectionType: string;
  spec: { query?: string | undefined; table?: string | undefined; columns?: string[] | undefined };
  /** Masks the pipeline asks for on this source's output columns. */
  masks: Record<string, MaskConfig>;
}

export interface Authorization {
  /** The query to run: the pipeline's, with the policy's row filters and limit added through the AST. */
  query: string;
  decision?: Decision;
  /** Output columns whose mask the policy makes mandatory. */
  mandatory: Set<string>;
}

/**
 * The control plane of the extraction proxy for one source: the SQL guard proves the query
 * read-only, the policy decides what this identity may read for this purpose and which masks are
 * mandatory, and the decision is emitted (and so audited) before anything connects. Throws
 * `GUARD_DENIED`/`POLICY_DENIED` (exit 3) or `APPROVAL_REQUIRED` (exit 4).
 */
export async function authorizeSource(
  request: SourceRequest,
  access: AccessRequest,
  registry: Registry,
  events: EventBus,
): Promise<Authorization> {
  const sql = sourceQuery({ name: request.source, ...request.spec });
  const policy = access.policy;
  const engineDenied = [...(ENGINE_DENIED_FUNCTIONS[request.connectionType] ?? [])];
  const guard = await analyzeSql(sql, {
    ...(policy?.guardOptions.allowFunctions ? { allowFunctions: policy.guardOptions.allowFunctions } : {}),
    denyFunctions: [...(policy?.guardOptions.denyFunctions ?? []), ...engineDenied],
  });
  const masks = Object.entries(request.masks).map(([column, m]) => ({
    column,
    mask: m.mask,
    ...(m.key_id === undefined ? {} : { key_id: m.key_id }),
  }));
  const base = {
    type: 'decision' as const,
    source: request.source,
    connection: request.connection,
    purpose: access.purpose,
    identity: access.identity,
    relations: guard.facts.relations.map(formatRelation),
    columns: guard.facts.columns.flatMap((c) =>
      c.columns.map((col) => `${formatRelation(c.relation)}.${col}`),
    ),
    query_sha256: createHash('sha256').update(sql).digest('hex'),
    query_ast_hash: guard.facts.astHash,
    ...(policy ? { policy_path: policy.path } : {}),
  };

  if (!policy) {
    const verdict = guard.verdict;
    events.emit({
      ...base,
      verdict,
      reasons: guard.reasons,
      policy_version: 'none',
      masks: masks.map((m) => ({ ...m, origin: 'pipeline' as const })),
      row_filters: [],
    });
    if (verdict === 'deny') {
      throw new SluiceError('GUARD_DENIED', denyMessage(request.source, guard.reasons), {
        context: { source: request.source, reasons: guard.reasons },
      });
    }
    return { query: sql, mandatory: new Set() };
  }

  const decision = decide(
    {
      identity: access.identity,
      purpose: access.purpose,
      connection: request.connection,
      connectionType: request.connectionType,
      sql,
      guard,
      source: request.source,
      requestedMasks: Object.fromEntries(
        Object.entries(request.masks).map(([column, { mask, ...params }]) => [column, { mask, params }]),
      ),
      maskProperties: (mask, params) => maskProperties(registry, mask, params),
    },
    policy,
  );
  const mandatory = new Set(Object.keys(decision.mandatory_masks));
  events.emit({
    ...base,
    verdict: decision.verdict,
    reasons: decision.reasons,
    policy_version: decision.policy_version,
    relations: decision.relations,
    masks: masks.map((m) => ({
      ...m,
      origin: mandatory.has(m.column) ? ('policy' as const) : ('pipeline' as const),
    })),
    row_filters: decision.row_filters.map((f) => ({ relation: String(f.relation), predicate: f.predicate })),
    mandatory: Object.entries(decision.mandatory_masks).map(([column, m]) => ({
      column,
      classes: m.classes,
      satisfied_by: m.satisfied_by.map(formatSatisfier),
      satisfied: m.satisfied,
    })),
    ...(decision.matched_rule === undefined ? {} : { matched_rule: decision.matched_rule }),
    ...(decision.row_limit === undefined ? {} : { row_limit: decision.row_limit }),
  });
  if (decision.verdict === 'deny') {
    throw new SluiceError('POLICY_DENIED', denyMessage(request.source, decision.reasons), {
      context: { source: request.source, policy_version: decision.policy_version, reasons: decision.reasons },
    });
  }
  if (decision.verdict === 'approval_required' && decision.approval && access.approvals) {
    await enforceApproval(
      {
        source: request.source,
        connection: request.connection,
        purpose: access.purpose,
        identity: access.identity,
        relations: decision.relations,
        columns: base.columns,
        masks: Object.entries(request.masks).map(([column, { mask, key_id, ...params }]) => ({
          column,
          mask,
          ...(key_id === undefined ? {} : { key_id }),
          params,
        })),
        ...(decision.row_limit === undefined ? {} : { row_limit: decision.row_limit }),
        sql,
        astHash: guard.facts.astHash,
        requirement: decision.approval,
      },
      access.approvals,
      events,
    );
  } else if (decision.verdict === 'approval_required') {
    throw new SluiceError(
      'APPROVAL_REQUIRED',
      `Reading source \`${request.source}\` needs an approval: ${(decision.approval?.reasons ?? []).join('; ')}. Approvers: ${(decision.approval?.approver_groups ?? []).map((g) => `\`${g}\``).join(', ') || 'none configured'}.`,
      { context: { source: request.source, approval: decision.approval } },
    );
  }
  let query = await applyRowFilters(sql, decision.row_filters, policy.guardOptions);
  if (decision.row_limit !== undefined) query = await applyRowLimit(query, decision.row_limit);
  return { query, decision, mandatory };
}

function denyMessage(source: string, reasons: { rule: string; message: string }[]): string {
  return [
    `Access to source \`${source}\` is denied:`,
    ...reasons.map((r) => `  - ${r.message} [${r.rule}]`),
  ].join('\n');
}

function maskProperties(
  registry: Registry,
  mask: string,
  params: Record<string, unknown>,
): MaskProperties | undefined {
  if (!registry.has('mask', mask)) return undefined;
  const definition = registry.get('mask', mask);
  return typeof definition.properties === 'function'
    ? definition.properties({ mask, ...params })
    : definition.properties;
}
