import { randomBytes } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import type { IdentityFacts } from '../core/events.js';
import { parseDurationS } from '../identity/duration.js';
import type { ApprovalRequirement } from '../policy/decision.js';
import type { ApprovalRecord, ApprovalState, Approver, PendingRequest } from './approval-state.js';
import { checkApprover } from './check-approver.js';
import { foldApprovals } from './fold-approvals.js';
import { type RequestedAccess, requestKey } from './requested-access.js';

// What every approval store appends, computed from the records it holds, so stores differ only in
// how they read, lock and append.

export interface NewApprovalRequest {
  access: RequestedAccess;
  requirement: ApprovalRequirement;
  requester: IdentityFacts;
}

/** A short id an approver can type: `apr_` and 12 hex digits. */
export function newApprovalId(): string {
  return `apr_${randomBytes(6).toString('hex')}`;
}

/**
 * The pending request for the same access among `records` (nothing to append), or the request
 * record to append and its state.
 */
export function requestRecord(
  records: ApprovalRecord[],
  r: NewApprovalRequest,
  now: Date,
): { pending: PendingRequest } | { record: ApprovalRecord; state: PendingRequest } {
  const key = requestKey(r.access);
  const states = foldApprovals(records, now);
  const pending = [...states.values()].find((s) => s.key === key && s.status === 'pending');
  if (pending) return { pending: pending as PendingRequest };
  const requestTtlS = parseDurationS(r.requirement.request_ttl, 'The policy `request_ttl`');
  const record: ApprovalRecord = {
    type: 'request',
    id: newApprovalId(),
    key,
    at: now.toISOString(),
    request_expires_at: new Date(now.getTime() + requestTtlS * 1000).toISOString(),
    ttl_s: parseDurationS(r.requirement.ttl, 'The policy `ttl`'),
    access: r.access,
    requirement: r.requirement,
    requester: r.requester,
  };
  return { record, state: foldApprovals([record], now).get(record.id) as PendingRequest };
}

/**
 * The record an approver's decision appends to a store holding `records`, once the rules allow it
 * (`checkApprover`), and the request's state after it. Shared by every store, so they decide alike.
 */
export function decisionRecord(
  records: ApprovalRecord[],
  decided: { id: string; approver: Approver; decision: 'approve' | 'deny'; reason?: string | undefined },
  now: Date,
  store: { name: string; context?: Record<string, unknown> },
): { record: ApprovalRecord; state: ApprovalState } {
  const { id, approver, decision, reason } = decided;
  const before = foldApprovals(records, now).get(id);
  if (before === undefined) {
    throw new SluiceError(
      'USAGE',
      `No approval request \`${id}\` in ${store.name}. List requests with \`pipeline approvals list --pending\`.`,
      { context: { approval_id: id, ...store.context } },
    );
  }
  checkApprover(before, approver, decision);
  const record: ApprovalRecord = {
    type: 'decision',
    id,
    at: now.toISOString(),
    approver,
    decision,
    ...(reason === undefined ? {} : { reason }),
  };
  return { record, state: foldApprovals([...records, record], now).get(id) as ApprovalState };
}
