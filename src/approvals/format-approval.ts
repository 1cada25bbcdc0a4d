import type { ApprovalRequirement } from '../policy/decision.js';
import type { ApprovalState } from './approval-state.js';

/** Who can approve, in words: `1 approval from any of `stewards``. */
export function describeApprovers(requirement: ApprovalRequirement): string {
  const n = requirement.min_approvals;
  const groups = requirement.approver_groups.map((g) => `\`${g}\``).join(', ');
  const count = `${n} approval${n === 1 ? '' : 's'}`;
  return requirement.mode === 'all_of'
    ? `${count} from each of ${groups} (distinct people)`
    : `${count} from any of ${groups} (distinct people)`;
}

/** What a request asks for, one fact a line; names and hashes only. */
export function formatApprovalRequest(state: ApprovalState): string {
  const a = state.access;
  const masks = a.masks.map(
    (m) => `${m.column}: ${m.mask}${m.key_id === undefined ? '' : ` (key \`${m.key_id}\`)`}`,
  );
  if (a.write) {
    const w = a.write;
    return finish(state, [
      `Approval request ${state.id} [${state.status}]`,
      `  write:        ${w.table} on connection \`${a.connection}\` (mode ${w.mode}) from output ${a.source}`,
      `  purpose:      ${a.purpose}`,
      `  columns:      ${w.columns.map((c) => `${c.name} ${c.type}`).join(', ') || '(none)'}`,
      `  requested by: ${state.requester.subject} (${state.requester.method}) at ${state.requested_at}`,
      `  why:          ${state.requirement.reasons.join(' ')}`,
      `  approvers:    ${describeApprovers(state.requirement)}`,
    ]);
  }
  const lines = [
    `Approval request ${state.id} [${state.status}]`,
    `  source:       ${a.source} (connection \`${a.connection}\`)`,
    `  purpose:      ${a.purpose}`,
    `  relations:    ${a.relations.join(', ') || '(none)'}`,
    `  columns:      ${a.columns.join(', ') || '(none)'}`,
    `  masks:        ${masks.join(', ') || '(none)'}`,
    `  row budget:   ${a.row_limit === undefined ? 'unlimited' : `${a.row_limit} rows`}`,
    `  requested by: ${state.requester.subject} (${state.requester.method}) at ${state.requested_at}`,
    `  why:          ${state.requirement.reasons.join(' ')}`,
    `  approvers:    ${describeApprovers(state.requirement)}`,
  ];
  return finish(state, lines);
}

function finish(state: ApprovalState, lines: string[]): string {
  if (state.approvers.length > 0) lines.push(`  approved by:  ${state.approvers.join(', ')}`);
  if (state.status === 'denied')
    lines.push(
      `  denied by:    ${state.denied_by ?? '?'}${state.denied_reason ? `: ${state.denied_reason}` : ''}`,
    );
  lines.push(
    `  ${state.status === 'granted' ? 'valid until' : 'expires'}:${state.status === 'granted' ? '  ' : '      '}${state.expires_at}`,
  );
  return lines.join('\n');
}
