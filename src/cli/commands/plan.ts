import { Command } from 'commander';
import { EXIT } from '../../core/error-codes.js';

export function planCommand(): Command {
  return new Command('plan')
    .description(
      'Show what the proxy would decide for each source, without connecting or reading data: identity, verdict and reasons, relations and columns, mandatory and requested masks.',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option(
      '--token-file <file>',
      'file holding your credential (else $SLUICE_TOKEN, else the config default)',
    )
    .option('--json', 'print the plan as one JSON document')
    .addHelpText('after', '\nExit codes: 0 every source allowed, 3 a source denied, 4 an approval is needed.')
    .action(async (pipeline: string, opts: { config?: string; tokenFile?: string; json?: boolean }) => {
      const [{ planAccess }, { createRegistry }, { formatAccessPlan }] = await Promise.all([
        import('../../engine/plan-access.js'),
        import('../registry.js'),
        import('../format-access-plan.js'),
      ]);
      const plan = await planAccess({
        pipeline,
        config: opts.config,
        tokenFile: opts.tokenFile,
        registry: await createRegistry(),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(plan)}\n` : formatAccessPlan(plan));
      if (plan.verdict === 'deny') process.exitCode = EXIT.denied;
      else if (plan.verdict === 'approval_required') process.exitCode = EXIT.approval;
    });
}
