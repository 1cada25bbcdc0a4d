import { Command, Option } from 'commander';
import { EXIT } from '../../core/error-codes.js';
import { SluiceError } from '../../core/errors.js';

interface WhoamiCommandOptions {
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
    .addOption(
      new Option(
        '--authenticators <yaml-file>',
        'YAML file with the `identity:` section (until --config lands)',
      ).hideHelp(),
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: WhoamiCommandOptions) => {
      if (opts.authenticators === undefined) {
        throw new SluiceError(
          'USAGE',
          'Name the identity configuration with `--authenticators <yaml-file>`.',
        );
      }
      const [{ loadIdentityConfig }, { createAuthenticators }, { whoami, formatWhoami }] = await Promise.all([
        import('../../identity/load-identity-config.js'),
        import('../../identity/create-authenticators.js'),
        import('../../identity/whoami.js'),
      ]);
      const { config, baseDir } = await loadIdentityConfig(opts.authenticators);
      const result = await whoami(createAuthenticators(config, { baseDir }), {
        ...(opts.tokenFile === undefined ? {} : { tokenFile: opts.tokenFile }),
        ...(config.default_credential === undefined ? {} : { defaultCredential: config.default_credential }),
        baseDir,
      });
      process.stdout.write(`${opts.json ? JSON.stringify(result) : formatWhoami(result)}\n`);
      if (!result.authenticated) process.exitCode = EXIT.denied;
    });
}
