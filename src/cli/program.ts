import { Command } from 'commander';
import { SLUICE_VERSION } from '../version.js';
import { approvalsCommand, approveCommand, denyCommand } from './commands/approve.js';
import { auditCommand } from './commands/audit.js';
import { detokenizeCommand } from './commands/detokenize.js';
import { fixturesCommand } from './commands/fixtures.js';
import { guardCommand } from './commands/guard.js';
import { manifestCommand } from './commands/manifest.js';
import { planCommand } from './commands/plan.js';
import { proxyCommand } from './commands/proxy.js';
import { runCommand } from './commands/run.js';
import { scanCommand } from './commands/scan.js';
import { schemaCommand } from './commands/schema.js';
import { tokenCommand } from './commands/token.js';
import { usageCommand } from './commands/usage.js';
import { validateCommand } from './commands/validate.js';
import { whoamiCommand } from './commands/whoami.js';

/** The `pipeline` program. Commands load their heavy modules only when they run. */
export function createProgram(): Command {
  const program = new Command('pipeline')
    .description(
      'Sluice: build AI training sets from production data through an identity-checked, masking, audited extraction proxy.',
    )
    .version(SLUICE_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes:
  0  success
  1  runtime failure that may succeed on retry (connection lost, timeout)
  2  invalid configuration or usage
  3  denied by policy or the SQL guard, or authentication failed
  4  waiting for approval
  5  integrity failure (manifest or audit verification)
  130 interrupted (Ctrl-C / SIGTERM)

Start with:  pipeline run pipelines/demo.yaml`,
    );
  for (const command of [
    runCommand(),
    validateCommand(),
    planCommand(),
    fixturesCommand(),
    guardCommand(),
    scanCommand(),
    manifestCommand(),
    auditCommand(),
    whoamiCommand(),
    tokenCommand(),
    usageCommand(),
    detokenizeCommand(),
    schemaCommand(),
    proxyCommand(),
    approveCommand(),
    denyCommand(),
    approvalsCommand(),
  ]) {
    program.addCommand(command);
  }
  return program;
}
