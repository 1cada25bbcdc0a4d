import type { SluiceConfig } from '../config/config-schema.js';
import type { CustomAuditEvent } from '../evidence/audit-event.js';
import type { ApprovalGate } from './approval-gate.js';
import { openApprovalStore } from './open-approval-store.js';

export { approvalsPath } from './approvals-path.js';

/** The approval gate a run uses: the config's approval store, its webhook and the run's audit trail. */
export function openApprovalGate(options: {
  config: Pick<SluiceConfig, 'audit' | 'approvals' | 'connections'>;
  configDir: string;
  pipelineSha256: string;
  record?: (event: CustomAuditEvent) => void;
  warn?: (message: string) => void;
  /** Where the postgres store's DSN secret is read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}): ApprovalGate {
  const webhook = options.config.approvals?.webhook_url;
  return {
    store: openApprovalStore(options.config, options.configDir, options.env),
    pipelineSha256: options.pipelineSha256,
    ...(options.record === undefined ? {} : { record: options.record }),
    ...(webhook === undefined ? {} : { webhookUrl: webhook }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
  };
}
