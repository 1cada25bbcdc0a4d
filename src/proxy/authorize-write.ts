import { requireApproval } from '../approvals/approval-gate.js';
import type { RequestedAccess, RequestedWrite } from '../approvals/requested-access.js';
import { SluiceError } from '../core/errors.js';
import type { ColumnFacts, EventBus } from '../core/events.js';
import { canonicalHash } from '../evidence/canonical-json.js';
import { decideWrite, type WriteDecision } from '../policy/decide-write.js';
import type { AccessRequest } from './authorize-source.js';

/** One pipeline output that writes into a table. */
export interface WriteRequest {
  /** The output's name, e.g. `outputs[1]`. */
  output: string;
  connection: string;
  connectionType: string;
  table: string;
  mode: string;
  /** The columns the output writes (bound into an approval). */
  columns?: ColumnFacts[];
  /** Only decide and emit the decision (`pipeline plan`): never throws, looks up no approval. */
  planOnly?: boolean;
}

export interface WriteAuthorization {
  decision?: WriteDecision;
  /** The approval the write relies on. */
  approvalId?: string;
}

/**
 * The control plane for one write: the policy decides whether this identity may write the target
 * for this purpose and whether that needs an approval; the decision is emitted (and so audited)
 * before any data is read. Throws `POLICY_DENIED` (exit 3) or `APPROVAL_REQUIRED` (exit 4).
 */
export async function authorizeWrite(
  request: WriteRequest,
  access: AccessRequest,
  events: EventBus,
): Promise<WriteAuthorization> {
  const policy = access.policy;
  const decision = policy
    ? decideWrite(
        {
          identity: access.identity,
          purpose: access.purpose,
          connection: request.connection,
          connectionType: request.connectionType,
          table: request.table,
          mode: request.mode,
        },
        policy,
      )
    : undefined;
  const table = decision?.table ?? request.table;
  const columns = request.columns ?? [];
  const write: RequestedWrite = {
    table,
    mode: request.mode,
    columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
  };
  const writeHash = canonicalHash({ v: 1, ...write });
  events.emit({
    type: 'decision',
    source: request.output,
    connection: request.connection,
    purpose: access.purpose,
    identity: access.identity,
    verdict: decision?.verdict ?? 'allow',
    reasons: decision?.reasons ?? [{ rule: 'no-policy', message: 'The config names no policy.' }],
    policy_version: decision?.policy_version ?? 'none',
    ...(policy ? { policy_path: policy.path } : {}),
    ...(decision?.matched_rule === undefined ? {} : { matched_rule: decision.matched_rule }),
    relations: [table],
    columns: columns.map((c) => `${table}.${c.name}`),
    masks: [],
    row_filters: [],
    query_sha256: writeHash,
    write: { table, mode: request.mode },
  });
  if (!decision) return {};
  if (request.planOnly) return { decision };
  if (decision.verdict === 'deny') {
    throw new SluiceError(
      'POLICY_DENIED',
      [
        `Writing table \`${table}\` on connection \`${request.connection}\` (${request.output}) is denied:`,
        ...decision.reasons.map((r) => `  - ${r.message} [${r.rule}]`),
      ].join('\n'),
      {
        context: {
          output: request.output,
          policy_version: decision.policy_version,
          reasons: decision.reasons,
        },
      },
    );
  }
  if (decision.verdict === 'allow') return { decision };
  if (!decision.approval || !access.approvals) {
    throw new SluiceError(
      'APPROVAL_REQUIRED',
      `Writing table \`${table}\` on connection \`${request.connection}\` needs an approval: ${(decision.approval?.reasons ?? []).join(' ')}`,
      { context: { output: request.output, approval: decision.approval } },
    );
  }
  const requested: RequestedAccess = {
    source: request.output,
    connection: request.connection,
    purpose: access.purpose,
    relations: [table],
    columns: columns.map((c) => `${table}.${c.name}`),
    masks: [],
    query_fingerprint: writeHash,
    query_ast_hash: writeHash,
    pipeline_sha256: access.approvals.pipelineSha256,
    requester: { subject: access.identity.subject, issuer: access.identity.issuer },
    write,
  };
  const granted = await requireApproval(
    {
      access: requested,
      what: `Writing table \`${table}\` on connection \`${request.connection}\` (${request.output})`,
      identity: access.identity,
      requirement: decision.approval,
    },
    access.approvals,
    events,
  );
  return { decision, approvalId: granted.id };
}
