import { Command } from 'commander';
import type { ApprovalState } from '../../approvals/approval-state.js';

interface DecideOptions {
  reason?: string;
  config?: string;
  tokenFile?: string;
  json?: boolean;
}

interface ListOptions {
  pending?: boolean;
  config?: string;
  json?: boolean;
}

const CONFIG_HELP = 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)';
const TOKEN_HELP = 'file holding your credential (else $SLUICE_TOKEN, else the config default)';

/** `pipeline approve <id>`: grant an approval request as an authenticated approver. */
export function approveCommand(): Command {
  return new Command('approve')
    .description('Approve a pending approval request (you must be in one of its approver groups).')
    .argument('<id>', 'approval request id (`apr_…`), as printed by the run that needs it')
    .option('--reason <text>', 'why you approve (recorded in the audit log; no data values)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--token-file <file>', TOKEN_HELP)
    .option('--json', 'print the request as one JSON document')
    .action(async (id: string, opts: DecideOptions) => decideAction(id, 'approve', opts));
}

/** `pipeline deny <id> --reason`: deny an approval request. */
export function denyCommand(): Command {
  return new Command('deny')
    .description('Deny a pending approval request; the run that asked for it is then denied (exit 3).')
    .argument('<id>', 'approval request id (`apr_…`)')
    .requiredOption('--reason <text>', 'why you deny (shown to the requester and audited; no data values)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--token-file <file>', TOKEN_HELP)
    .option('--json', 'print the request as one JSON document')
    .action(async (id: string, opts: DecideOptions) => decideAction(id, 'deny', opts));
}

/** `pipeline approvals list`: the approver's inbox. */
export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description('Approval requests for sensitive access.');
  approvals
    .command('list')
    .description('List approval requests, newest last.')
    .option('--pending', 'only requests still waiting for a decision')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print one JSON document')
    .action(async (opts: ListOptions) => {
      const [{ openApprovalStore }, { formatApprovalRequest }] = await Promise.all([
        import('../../approvals/open-approval-store.js'),
        import('../../approvals/format-approval.js'),
      ]);
      const { config, configDir } = await loadConfig(opts.config);
      const states = await openApprovalStore(config, configDir).list(opts.pending ? { pending: true } : {});
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ approvals: states })}\n`);
        return;
      }
      if (states.length === 0) {
        process.stdout.write(opts.pending ? 'No pending approval requests.\n' : 'No approval requests.\n');
        return;
      }
      process.stdout.write(`${states.map(formatApprovalRequest).join('\n\n')}\n`);
    });
  return approvals;
}

async function decideAction(id: string, decision: 'approve' | 'deny', opts: DecideOptions): Promise<void> {
  const [
    { openApprovalStore },
    { formatApprovalRequest },
    { authenticateApprover },
    { approvalAuditEvent },
    { notifyWebhook },
    { AuditLog },
  ] = await Promise.all([
    import('../../approvals/open-approval-store.js'),
    import('../../approvals/format-approval.js'),
    import('../../approvals/authenticate-approver.js'),
    import('../../approvals/approval-audit.js'),
    import('../../approvals/approval-webhook.js'),
    import('../../evidence/audit-log.js'),
  ]);
  const { resolve } = await import('node:path');
  const { config, configDir } = await loadConfig(opts.config);
  const audit = await AuditLog.open(resolve(configDir, config.audit.path));
  try {
    const approver = await authenticateApprover({
      config,
      configDir,
      audit,
      ...(opts.tokenFile === undefined ? {} : { tokenFile: opts.tokenFile }),
    });
    const store = openApprovalStore(config, configDir);
    const state: ApprovalState = await store.decide(id, approver, decision, opts.reason);
    const kind = decision === 'approve' ? 'approval.granted' : 'approval.denied';
    const extra = { by: approver.subject, ...(opts.reason === undefined ? {} : { reason: opts.reason }) };
    await audit.append(approvalAuditEvent(kind, state, extra));
    const webhook = config.approvals?.webhook_url;
    if (webhook !== undefined)
      await notifyWebhook(webhook, kind, state, {
        ...extra,
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
      });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(state)}\n`);
      return;
    }
    const summary =
      decision === 'deny'
        ? `Denied ${state.id}.`
        : state.status === 'granted'
          ? `Approved ${state.id}: the request is granted; the pipeline can run again until ${state.expires_at}.`
          : `Approved ${state.id}: ${state.approvers.length} approval(s) recorded, more are needed.`;
    process.stdout.write(`${summary}\n${formatApprovalRequest(state)}\n`);
  } finally {
    await audit.close();
  }
}

async function loadConfig(explicit: string | undefined) {
  const [
    { findConfigFrom },
    { readYamlFile },
    { validateYaml },
    { buildConfigSchema },
    { loadPlugins },
    { createRegistry },
  ] = await Promise.all([
    import('../../config/find-config.js'),
    import('../../config/yaml-file.js'),
    import('../../config/validate-yaml.js'),
    import('../../config/config-schema.js'),
    import('../../config/load-plugins.js'),
    import('../registry.js'),
  ]);
  const [{ dirname }, { ConfigError }] = await Promise.all([
    import('node:path'),
    import('../../core/errors.js'),
  ]);
  const path = await findConfigFrom(process.cwd(), explicit, process.env);
  const file = await readYamlFile(path, 'Config file');
  const registry = await createRegistry();
  const configDir = dirname(path);
  const issues = file.syntaxIssues.length === 0 ? await loadPlugins(file, registry, configDir) : [];
  const validated = validateYaml(file, buildConfigSchema(registry), process.env);
  issues.push(...validated.issues);
  if (!validated.value || issues.length > 0) throw new ConfigError(issues);
  return { config: validated.value, configDir };
}
