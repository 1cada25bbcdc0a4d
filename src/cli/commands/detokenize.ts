import { Command, InvalidArgumentError } from 'commander';
import type { FpeIntegerType } from '../../transforms/fpe-integer.js';

// Kept here rather than imported so `--help` does not load the transforms.
const INTEGER_TYPES = ['Int32', 'Int64', 'Uint32', 'Uint64'] as const satisfies readonly FpeIntegerType[];

function integerType(value: string): FpeIntegerType {
  const type = INTEGER_TYPES.find((t) => t.toLowerCase() === value.toLowerCase());
  if (!type) throw new InvalidArgumentError(`Expected one of ${INTEGER_TYPES.join(', ')}.`);
  return type;
}

function radix(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || n > 36)
    throw new InvalidArgumentError('Expected a whole number from 2 to 36.');
  return n;
}

export function detokenizeCommand(): Command {
  return new Command('detokenize')
    .description(
      'Reverse `fpe` tokens read from stdin (one per line), for identities the policy grants it. Every use is audited (key id and count, never values).',
    )
    .requiredOption('--key-id <id>', 'key id the tokens were made with')
    .option(
      '--column <name>',
      'the column the tokens come from (derives the default tweak, as the mask does)',
    )
    .option('--tweak <hex>', 'FF3-1 tweak, 14 hex digits (when the mask set one)')
    .option('--radix <n>', 'radix of the tokens (default 10)', radix)
    .option('--alphabet <chars>', 'alphabet of the tokens, instead of --radix')
    .option('--luhn', 'the tokens keep a Luhn check digit (card numbers)')
    .option(
      '--integer <type>',
      'the tokens come from an integer column of this type: Int32, Int64, Uint32 or Uint64',
      integerType,
    )
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option(
      '--token-file <file>',
      'file holding your credential (else $SLUICE_TOKEN, else the config default)',
    )
    .option('--json', 'print a JSON array instead of lines')
    .addHelpText(
      'after',
      '\nExample:\n  cut -d, -f3 tokens.csv | pipeline detokenize --key-id customers --column ssn',
    )
    .action(
      async (opts: {
        keyId: string;
        column?: string;
        tweak?: string;
        radix?: number;
        alphabet?: string;
        luhn?: boolean;
        integer?: FpeIntegerType;
        config?: string;
        tokenFile?: string;
        json?: boolean;
      }) => {
        const [{ loadConfig }, { createRegistry }, { authenticate }, { detokenize }] = await Promise.all([
          import('../../config/load-config.js'),
          import('../registry.js'),
          import('../../engine/run-pipeline.js'),
          import('../../engine/detokenize.js'),
        ]);
        const registry = await createRegistry();
        const loaded = await loadConfig({ configPath: opts.config, registry });
        const identity = await authenticate(loaded, { tokenFile: opts.tokenFile });
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        const tokens = Buffer.concat(chunks)
          .toString('utf8')
          .split(/\r?\n/)
          .filter((l) => l.length > 0);
        const values = await detokenize(
          loaded,
          identity,
          {
            keyId: opts.keyId,
            tweak: opts.tweak,
            column: opts.column,
            radix: opts.radix,
            alphabet: opts.alphabet,
            luhn: opts.luhn,
            integer: opts.integer,
          },
          tokens,
        );
        process.stdout.write(
          opts.json ? `${JSON.stringify(values)}\n` : values.map((v) => `${v}\n`).join(''),
        );
      },
    );
}
