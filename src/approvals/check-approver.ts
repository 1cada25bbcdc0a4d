import { SluiceError } from '../core/errors.js';
import type { ApprovalState, Approver } from './approval-state.js';

/**
 * Refuses a decision the rules do not allow: the request must be pending, the approver must be in
 * one of its approver groups, may not be the requester, and decides once. Throws `POLICY_DENIED`
 * (exit 3) or `USAGE` (exit 2).
 */
export function checkApprover(state: ApprovalState, approver: Approver, decision: 'approve' | 'deny'): void {
  if (state.status !== 'pending') {
    throw new SluiceError(
      'USAGE',
      `Approval request \`${state.id}\` is ${state.status}, so it cannot be ${decision === 'approve' ? 'approved' : 'denied'}. ${state.status === 'expired' ? 'Run the pipeline again to create a new request.' : 'List requests with `pipeline approvals list --pending`.'}`,
      { context: { approval_id: state.id, status: state.status } },
    );
  }
  if (!approver.verified) {
    throw new SluiceError(
      'POLICY_DENIED',
      `\`${approver.subject}\` is an unverified (\`${approver.method}\`) identity and cannot decide on request \`${state.id}\`. Authenticate with an API token (\`--token-file\`) or an OIDC token.`,
      { context: { approval_id: state.id, reason: 'unverified_approver' } },
    );
  }
  if (approver.subject === state.requester.subject && approver.issuer === state.requester.issuer) {
    throw new SluiceError(
      'POLICY_DENIED',
      `\`${approver.subject}\` asked for request \`${state.id}\` and cannot decide on it. Ask a member of ${groupList(state.requirement.approver_groups)}.`,
      { context: { approval_id: state.id, reason: 'self_approval' } },
    );
  }
  if (!approver.groups.some((g) => state.requirement.approver_groups.includes(g))) {
    throw new SluiceError(
      'POLICY_DENIED',
      `\`${approver.subject}\` is not in an approver group of request \`${state.id}\` (needs ${groupList(state.requirement.approver_groups)}; has ${groupList(approver.groups) || 'no groups'}).`,
      { context: { approval_id: state.id, reason: 'not_an_approver' } },
    );
  }
  if (state.decisions.some((d) => d.approver.subject === approver.subject)) {
    throw new SluiceError(
      'USAGE',
      `\`${approver.subject}\` already decided on request \`${state.id}\`; it needs another approver.`,
      { context: { approval_id: state.id, reason: 'already_decided' } },
    );
  }
}

function groupList(groups: readonly string[]): string {
  return groups.map((g) => `\`${g}\``).join(', ');
}
