import type { IdentityFacts } from '../core/events.js';
import type { ApprovalRequirement } from '../policy/decision.js';
import type { Approver } from './approval-state.js';
import type { RequestedAccess } from './requested-access.js';

/** Fixtures shared by the approvals tests. */
export const requester: IdentityFacts = {
  subject: 'dana',
  issuer: 'sluice-token',
  method: 'token',
  groups: ['ml'],
  verified: true,
};

export function access(overrides: Partial<RequestedAccess> = {}): RequestedAccess {
  return {
    source: 'customers',
    connection: 'demo',
    purpose: 'model-training',
    relations: ['main.customers'],
    columns: ['main.customers.id', 'main.customers.email'],
    masks: [{ column: 'email', mask: 'hmac', key_id: 'demo', params: {} }],
    row_limit: 1000,
    query_fingerprint: 'aa11',
    query_ast_hash: 'bb22',
    pipeline_sha256: 'cc33',
    requester: { subject: requester.subject, issuer: requester.issuer },
    ...overrides,
  };
}

export function requirement(overrides: Partial<ApprovalRequirement> = {}): ApprovalRequirement {
  return {
    reasons: ['Purpose `model-training` requires an approval.'],
    approver_groups: ['stewards'],
    mode: 'any_of',
    min_approvals: 1,
    ttl: '1h',
    request_ttl: '1d',
    ...overrides,
  };
}

export function approver(subject: string, groups: string[] = ['stewards']): Approver {
  return { subject, issuer: 'sluice-token', method: 'token', groups, verified: true };
}
