import { Command, Option } from 'commander';
import { SluiceError } from '../../core/errors.js';

interface CreateOptions {
  tokensFile: string;
  subject: string;
  group: string[];
  ttl: string;
  onBehalfOf?: string;
  agentId?: string;
  agentModel?: string;
  createdBy?: string;
  json?: boolean;
}

/** `pipeline token`: manage opaque API tokens (only their hashes are stored). */
export function tokenCommand(): Command {
  const token = new Command('token').description(
    'Manage Sluice API tokens (`slc_…`); only their SHA-256 hashes are stored.',
  );
  token
    .command('create')
    .description('Create an API token, append its hash to the tokens file and print the token once.')
    .requiredOption('--tokens-file <path>', 'tokens file (JSON lines) the `token` authenticator reads')
    .requiredOption('--subject <name>', 'the identity the token authenticates as')
    .option(
      '--group <group>',
      'a group of that identity (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--ttl <duration>', 'lifetime: 90s, 15m, 12h, 30d, 2w (at most 365d)', '30d')
    .option('--on-behalf-of <subject>', 'the human the token holder acts for')
    .option('--agent-id <id>', 'id of the AI agent that will hold the token')
    .option('--agent-model <model>', 'model of that agent (needs --agent-id)')
    .addOption(new Option('--created-by <name>', 'who creates the token (default: the OS user)'))
    .option('--json', 'print one JSON document')
    .action(async (opts: CreateOptions) => {
      if (opts.agentModel !== undefined && opts.agentId === undefined) {
        throw new SluiceError(
          'USAGE',
          '`--agent-model` needs `--agent-id`: name the agent the model belongs to.',
        );
      }
      const [{ createToken }, { userInfo }] = await Promise.all([
        import('../../identity/create-token.js'),
        import('node:os'),
      ]);
      const { token: value, record } = await createToken(opts.tokensFile, {
        subject: opts.subject,
        groups: opts.group,
        ttl: opts.ttl,
        createdBy: opts.createdBy ?? userInfo().username,
        ...(opts.onBehalfOf === undefined ? {} : { onBehalfOf: opts.onBehalfOf }),
        ...(opts.agentId === undefined
          ? {}
          : {
              agent: {
                id: opts.agentId,
                ...(opts.agentModel === undefined ? {} : { model: opts.agentModel }),
              },
            }),
      });
      process.stderr.write(
        `warning: store this token now (e.g. in a secret manager); it is shown once and \`${opts.tokensFile}\` keeps only its hash.\n`,
      );
      const { hash: _hash, ...facts } = record;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ token: value, ...facts })}\n`);
        return;
      }
      process.stdout.write(
        `${value}\n\nid:         ${record.id}\nsubject:    ${record.subject}\ngroups:     ${record.groups.join(', ') || '(none)'}\nexpires at: ${record.expires_at}\n`,
      );
    });
  return token;
}
