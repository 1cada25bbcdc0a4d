import { SluiceError } from '../core/errors.js';
import type { EventBus, IdentityFacts } from '../core/events.js';
import type { CustomAuditEvent } from '../evidence/audit-event.js';
import type { ApprovalRequirement } from '../policy/decision.js';
import { approvalAuditEvent } from './approval-audit.js';
import type { ApprovalState } from './approval-state.js';
import type { ApprovalStore } from './approval-store.js';
import { notifyWebhook } from './approval-webhook.js';
import { describeApprovers, formatApprovalRequest } from './format-approval.js';
import {
  queryFingerprint,
  type RequestedAccess,
  type RequestedAccessMask,
  requestKey,
} from './requested-access.js';

/** What a run needs to honour approvals: the store, the pipeline's hash and where to report. */
export interface ApprovalGate {
  store: ApprovalStore;
  pipelineSha256: string;
  /** Appends an audit record (the run's audit trail). */
  record?: (event: CustomAuditEvent) => void;
  webhookUrl?: string;
  warn?: (message: string) => void;
  now?: () => Date;
}

export interface ApprovalCheck {
  source: string;
  connection: string;
  purpose: string;
  identity: IdentityFacts;
  relations: string[];
  columns: string[];
  masks: RequestedAccessMask[];
  row_limit?: number;
  sql: string;
  astHash: string;
  requirement: ApprovalRequirement;
}

/**
 * For an access the policy says needs an approval: returns the granted, unexpired approval for
 * exactly this access (and emits `approval_used`); throws `POLICY_DENIED` when an approver denied
 * it, else creates or reuses the pending request and throws `APPROVAL_REQUIRED` (exit 4) naming
 * the request id, what is asked for and who can approve.
 */
export async function enforceApproval(
  check: ApprovalCheck,
  gate: ApprovalGate,
  events: EventBus,
): Promise<ApprovalState> {
  return requireApproval(
    {
      access: await readAccess(check, gate),
      what: `Reading source \`${check.source}\``,
      identity: check.identity,
      requirement: check.requirement,
    },
    gate,
    events,
  );
}

/** One access needing an approval, however it was derived (a read, a write). */
export interface AccessApprovalCheck {
  access: RequestedAccess;
  /** What is done, for messages: ``Reading source `x` ``, ``Writing table `t` ``. */
  what: string;
  identity: IdentityFacts;
  requirement: ApprovalRequirement;
}

async function readAccess(check: ApprovalCheck, gate: ApprovalGate): Promise<RequestedAccess> {
  return {
    source: check.source,
    connection: check.connection,
    purpose: check.purpose,
    relations: check.relations,
    columns: check.columns,
    masks: check.masks,
    ...(check.row_limit === undefined ? {} : { row_limit: check.row_limit }),
    query_fingerprint: await queryFingerprint(check.sql),
    query_ast_hash: check.astHash,
    pipeline_sha256: gate.pipelineSha256,
    requester: { subject: check.identity.subject, issuer: check.identity.issuer },
  };
}

/**
 * The core of {@link enforceApproval} for any access: returns the granted approval (and emits
 * `approval_used`), throws `POLICY_DENIED` when denied, else requests one and throws
 * `APPROVAL_REQUIRED`.
 */
export async function requireApproval(
  check: AccessApprovalCheck,
  gate: ApprovalGate,
  events: EventBus,
): Promise<ApprovalState> {
  const { access } = check;
  const scope = access.write ? { output: access.source } : { source: access.source };
  const now = (gate.now ?? (() => new Date()))();
  const existing = await gate.store.find(requestKey(access));
  if (existing?.status === 'granted') {
    events.emit({
      type: 'approval_used',
      approval_id: existing.id,
      approver: existing.approvers.join(', '),
      approved_at: existing.granted_at ?? existing.requested_at,
      expires_at: existing.expires_at,
      ...scope,
      ...(grantReason(existing) === undefined ? {} : { reason: grantReason(existing) as string }),
    });
    gate.record?.({ ...approvalAuditEvent('approval.used', existing), run_id: events.runId });
    return existing;
  }
  // A denial stands for as long as the request would have waited; then the access may be asked again.
  if (existing?.status === 'denied' && now.getTime() < Date.parse(existing.expires_at)) {
    throw new SluiceError(
      'POLICY_DENIED',
      `${check.what} was denied in approval request \`${existing.id}\` by \`${existing.denied_by ?? '?'}\`: ${existing.denied_reason ?? 'no reason given'}. Change the request or ask again after ${existing.expires_at}.`,
      { context: { ...scope, approval_id: existing.id, reason: 'approval_denied' } },
    );
  }
  const pending = await gate.store.request({
    access,
    requirement: check.requirement,
    requester: check.identity,
  });
  if (pending.created) {
    gate.record?.({ ...approvalAuditEvent('approval.requested', pending), run_id: events.runId });
    if (gate.webhookUrl !== undefined)
      await notifyWebhook(gate.webhookUrl, 'approval.requested', pending, {
        warn: gate.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`)),
      });
  }
  throw new SluiceError(
    'APPROVAL_REQUIRED',
    [
      `${check.what} needs an approval (${describeApprovers(check.requirement)}). ${pending.created ? 'Created' : 'Still waiting for'} request ${pending.id}:`,
      formatApprovalRequest(pending),
      `An approver runs: pipeline approve ${pending.id} --reason "…"  (or: pipeline deny ${pending.id} --reason "…"); then run the pipeline again.`,
    ].join('\n'),
    { context: { ...scope, approval_id: pending.id, approval: check.requirement } },
  );
}

function grantReason(state: ApprovalState): string | undefined {
  const reasons = state.decisions
    .filter((d) => d.decision === 'approve' && d.reason)
    .map((d) => d.reason as string);
  return reasons.length === 0 ? undefined : reasons.join('; ');
}
