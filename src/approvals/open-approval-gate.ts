import { dirname, resolve } from 'node:path';
import type { SluiceConfig } from '../config/config-schema.js';
import type { CustomAuditEvent } from '../evidence/audit-event.js';
import type { ApprovalGate } from './approval-gate.js';
import { FileApprovalStore } from './approval-store.js';

/** The approvals file of a config: `approvals.path`, else `approvals.jsonl` beside the audit log. */
export function approvalsPath(config: Pick<SluiceConfig, 'audit' | 'approvals'>, configDir: string): string {
  return config.approvals?.path !== undefined
    ? resolve(configDir, config.approvals.path)
    : resolve(dirname(resolve(configDir, config.audit.path)), 'approvals.jsonl');
}

/** The approval gate a run uses: the config's file store, its webhook and the run's audit trail. */
export function openApprovalGate(options: {
  config: Pick<SluiceConfig, 'audit' | 'approvals'>;
  configDir: string;
  pipelineSha256: string;
  record?: (event: CustomAuditEvent) => void;
  warn?: (message: string) => void;
}): ApprovalGate {
  const webhook = options.config.approvals?.webhook_url;
  return {
    store: new FileApprovalStore(approvalsPath(options.config, options.configDir)),
    pipelineSha256: options.pipelineSha256,
    ...(options.record === undefined ? {} : { record: options.record }),
    ...(webhook === undefined ? {} : { webhookUrl: webhook }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
  };
}
