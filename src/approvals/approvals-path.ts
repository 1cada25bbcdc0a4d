import { dirname, resolve } from 'node:path';
import type { SluiceConfig } from '../config/config-schema.js';

/** The approvals file of a config: `approvals.path`, else `approvals.jsonl` beside the audit log. */
export function approvalsPath(config: Pick<SluiceConfig, 'audit' | 'approvals'>, configDir: string): string {
  return config.approvals?.path !== undefined
    ? resolve(configDir, config.approvals.path)
    : resolve(dirname(resolve(configDir, config.audit.path)), 'approvals.jsonl');
}
