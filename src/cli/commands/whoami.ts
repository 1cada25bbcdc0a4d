import { Command, Option } from 'commander';
import { EXIT } from '../../core/error-codes.js';

interface WhoamiCommandOptions {
  config?: string;
  authenticators?: string;
  tokenFile?: string;
  json?: boolean;
}

/** `pipeline whoami`: the identity the proxy would see, or why it rejects the credential (exit 3). */
export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('Show the identity the proxy would see for your credential, or why it is rejected (exit 3).')
    .option(
      '--token-file <path>',
      'file holding the credential (default: $SLUICE_TOKEN, then the config default)',
    )
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .addOption(
      new Option('--authenticators <yaml-file>', 'YAML file with just an `identity:` section').hideHelp(),
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: WhoamiCommandOptions) => {
      const [{ findConfigFrom }, { loadIdentityConfig }, { createAuthenticators }, { whoami, formatWhoami }] =
        await Promise.all([
          import('../../config/find-config.js'),
          import('../../identity/load-identity-config.js'),
          import('../../identity/create-authenticators.js'),
          import('../../identity/whoami.js'),
        ]);
      const file = opts.authenticators ?? (await findConfigFrom(process.cwd(), opts.config, process.env));
      const { config, baseDir } = await loadIdentityConfig(file);
      const result = await whoami(createAuthenticators(config, { baseDir }), {
        ...(opts.tokenFile === undefined ? {} : { tokenFile: opts.tokenFile }),
        ...(config.default_credential === undefined ? {} : { defaultCredential: config.default_credential }),
        baseDir,
      });
      process.stdout.write(`${opts.json ? JSON.stringify(result) : formatWhoami(result)}\n`);
      if (!result.authenticated) process.exitCode = EXIT.denied;
    });
}
