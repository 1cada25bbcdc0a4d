export { approvalAuditEvent } from './approval-audit.js';
export {
  type AccessApprovalCheck,
  type ApprovalCheck,
  type ApprovalGate,
  enforceApproval,
  requireApproval,
} from './approval-gate.js';
export type {
  ApprovalRecord,
  ApprovalState,
  ApprovalStatus,
  Approver,
  DecisionRecord,
  PendingRequest,
  RequestRecord,
} from './approval-state.js';
export {
  type ApprovalStore,
  FileApprovalStore,
  type FileApprovalStoreOptions,
} from './approval-store.js';
export { type ApprovalEventKind, isSlackWebhook, notifyWebhook, webhookBody } from './approval-webhook.js';
export { checkApprover } from './check-approver.js';
export { foldApprovals, isSatisfied, remainingGroups } from './fold-approvals.js';
export { describeApprovers, formatApprovalRequest } from './format-approval.js';
export { approvalsPath, openApprovalGate } from './open-approval-gate.js';
export { openApprovalStore } from './open-approval-store.js';
export {
  type ApprovalDbSession,
  approvalTableDdl,
  PostgresApprovalStore,
  type PostgresApprovalStoreOptions,
} from './postgres-approval-store.js';
export {
  queryFingerprint,
  type RequestedAccess,
  type RequestedAccessMask,
  type RequestedWrite,
  requestKey,
} from './requested-access.js';
export { decisionRecord, type NewApprovalRequest, newApprovalId, requestRecord } from './store-records.js';
