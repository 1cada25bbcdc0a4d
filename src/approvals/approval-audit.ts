import type { CustomAuditEvent } from '../evidence/audit-event.js';
import type { ApprovalState } from './approval-state.js';
import type { ApprovalEventKind } from './approval-webhook.js';

/** The audit record of a request, a decision or a use: names, hashes and counts, never values. */
export function approvalAuditEvent(
  kind: ApprovalEventKind | 'approval.used',
  state: ApprovalState,
  extra: { by?: string; reason?: string; run_id?: string } = {},
): CustomAuditEvent {
  const a = state.access;
  return {
    kind,
    approval_id: state.id,
    request_key: state.key,
    status: state.status,
    requester: state.requester.subject,
    source: a.source,
    connection: a.connection,
    purpose: a.purpose,
    relations: a.relations,
    columns: a.columns,
    masks: a.masks.map((m) => ({
      column: m.column,
      mask: m.mask,
      ...(m.key_id === undefined ? {} : { key_id: m.key_id }),
    })),
    ...(a.row_limit === undefined ? {} : { row_limit: a.row_limit }),
    ...(a.write === undefined
      ? {}
      : {
          write: {
            table: a.write.table,
            mode: a.write.mode,
            columns: a.write.columns.map((c) => ({ ...c })),
          },
        }),
    pipeline_sha256: a.pipeline_sha256,
    query_ast_hash: a.query_ast_hash,
    query_fingerprint: a.query_fingerprint,
    approver_groups: state.requirement.approver_groups,
    mode: state.requirement.mode,
    min_approvals: state.requirement.min_approvals,
    approvers: state.approvers,
    expires_at: state.expires_at,
    ...(extra.by === undefined ? {} : { by: extra.by }),
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    ...(extra.run_id === undefined ? {} : { run_id: extra.run_id }),
  };
}
