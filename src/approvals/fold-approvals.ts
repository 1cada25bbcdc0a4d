import type { ApprovalRequirement } from '../policy/decision.js';
import type { ApprovalRecord, ApprovalState, Approver } from './approval-state.js';

/**
 * Folds the approvals file into one state per request id, as of `now`. Decisions after a request
 * is granted or denied change nothing; expiry is computed, never written.
 */
export function foldApprovals(records: readonly ApprovalRecord[], now: Date): Map<string, ApprovalState> {
  const states = new Map<string, ApprovalState>();
  const ttls = new Map<string, number>();
  for (const record of records) {
    if (record.type === 'request') {
      if (states.has(record.id)) continue;
      ttls.set(record.id, record.ttl_s);
      states.set(record.id, {
        id: record.id,
        key: record.key,
        status: 'pending',
        access: record.access,
        requirement: record.requirement,
        requester: record.requester,
        requested_at: record.at,
        expires_at: record.request_expires_at,
        decisions: [],
        approvers: [],
      });
      continue;
    }
    const state = states.get(record.id);
    if (state === undefined || state.status !== 'pending') continue;
    // A decision recorded after the request lapsed does not revive it.
    if (Date.parse(record.at) >= Date.parse(state.expires_at)) continue;
    const { type: _type, id: _id, ...decision } = record;
    state.decisions.push(decision);
    if (record.decision === 'deny') {
      state.status = 'denied';
      state.denied_by = record.approver.subject;
      if (record.reason !== undefined) state.denied_reason = record.reason;
      continue;
    }
    if (!state.approvers.includes(record.approver.subject)) state.approvers.push(record.approver.subject);
    if (isSatisfied(state)) {
      state.status = 'granted';
      state.granted_at = record.at;
      state.expires_at = new Date(Date.parse(record.at) + (ttls.get(record.id) ?? 0) * 1000).toISOString();
    }
  }
  for (const state of states.values()) {
    if (
      (state.status === 'pending' || state.status === 'granted') &&
      now.getTime() >= Date.parse(state.expires_at)
    )
      state.status = 'expired';
  }
  return states;
}

/** Whether the approvals recorded so far meet the requirement (`any_of` / `all_of`, `min_approvals`). */
export function isSatisfied(state: Pick<ApprovalState, 'decisions' | 'requirement'>): boolean {
  const approvers = new Map<string, Approver>();
  for (const d of state.decisions)
    if (d.decision === 'approve') approvers.set(d.approver.subject, d.approver);
  return remainingGroups(state.requirement, [...approvers.values()]).length === 0;
}

/** The approver groups still short of `min_approvals` (for `any_of`, all groups or none). */
export function remainingGroups(requirement: ApprovalRequirement, approvers: readonly Approver[]): string[] {
  const count = (group: string) => approvers.filter((a) => a.groups.includes(group)).length;
  if (requirement.mode === 'all_of')
    return requirement.approver_groups.filter((g) => count(g) < requirement.min_approvals);
  const eligible = approvers.filter((a) => a.groups.some((g) => requirement.approver_groups.includes(g)));
  return eligible.length >= requirement.min_approvals ? [] : [...requirement.approver_groups];
}
