import type { IdentityFacts } from '../core/events.js';
import type { ApprovalRequirement } from '../policy/decision.js';
import type { RequestedAccess } from './requested-access.js';

/** Who decided, as authenticated when deciding. */
export interface Approver {
  subject: string;
  issuer: string;
  method: string;
  groups: string[];
  /** False for the `local` demo identity, which may never decide. */
  verified: boolean;
}

export interface RequestRecord {
  type: 'request';
  id: string;
  key: string;
  at: string;
  /** When the request expires if nobody grants it. */
  request_expires_at: string;
  /** How long a grant lasts, in seconds (the policy's `ttl`). */
  ttl_s: number;
  access: RequestedAccess;
  requirement: ApprovalRequirement;
  requester: IdentityFacts;
}

export interface DecisionRecord {
  type: 'decision';
  id: string;
  at: string;
  approver: Approver;
  decision: 'approve' | 'deny';
  reason?: string;
}

/** One line of the approvals file. */
export type ApprovalRecord = RequestRecord | DecisionRecord;

export type ApprovalStatus = 'pending' | 'granted' | 'denied' | 'expired';

/** A request as its records fold up at a given time. */
export interface ApprovalState {
  id: string;
  key: string;
  status: ApprovalStatus;
  access: RequestedAccess;
  requirement: ApprovalRequirement;
  requester: IdentityFacts;
  requested_at: string;
  /** Pending: when the request lapses; granted: when the approval lapses. */
  expires_at: string;
  /** Set once granted. */
  granted_at?: string;
  decisions: Omit<DecisionRecord, 'type' | 'id'>[];
  /** Subjects whose approval counted, in order. */
  approvers: string[];
  /** Why it was denied, as the approver wrote it. */
  denied_reason?: string;
  denied_by?: string;
}

export type PendingRequest = ApprovalState & { status: 'pending' };
