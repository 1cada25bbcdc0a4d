import { Command, InvalidArgumentError, Option } from 'commander';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('Expected a positive whole number.');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('Expected a whole number.');
  return n;
}

export function fixturesCommand(): Command {
  const fixtures = new Command('fixtures').description(
    'Seeded synthetic datasets for demos, tests and benchmarks (never real data).',
  );
  fixtures
    .command('generate')
    .description(
      'Write customers, orders and support_tickets generated with a fixed seed: same seed and size → identical files.',
    )
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--rows <n>', 'customers to generate (orders: 2×, support tickets: 1×)', positiveInt, 10_000)
    .option('--seed <n>', 'generator seed', integer, 42)
    .addOption(
      new Option('--format <format>', 'file format').choices(['duckdb', 'parquet', 'csv']).default('duckdb'),
    )
    .option('--json', 'print the written files as JSON')
    .action(
      async (opts: {
        out: string;
        rows: number;
        seed: number;
        format: 'duckdb' | 'parquet' | 'csv';
        json?: boolean;
      }) => {
        const { generateFixtureFiles } = await import('../generate-fixture-files.js');
        const files = await generateFixtureFiles(opts);
        if (opts.json) process.stdout.write(`${JSON.stringify({ files })}\n`);
        else
          process.stdout.write(
            `${files.map((f) => `wrote ${f.path} (${f.rows.toLocaleString('en-US')} rows)`).join('\n')}\n`,
          );
      },
    );
  fixtures
    .command('load')
    .description(
      'Load customers, orders and support_tickets into a PostgreSQL database with COPY, in one transaction.',
    )
    .argument(
      '[dsn]',
      'name of an environment variable holding the DSN, or a postgres:// URL (avoid: a password on the command line is visible to other users)',
    )
    .option('--dsn-env <var>', 'environment variable holding the postgres:// DSN (preferred)')
    .option('--rows <n>', 'customers to generate (orders: 2×, support tickets: 1×)', positiveInt, 10_000)
    .option('--seed <n>', 'generator seed', integer, 42)
    .option('--schema <name>', 'schema to create the tables in', 'public')
    .option('--drop', 'replace tables that already exist (DROP ... CASCADE: views on them go too)')
    .option('--json', 'print the loaded tables as JSON')
    .action(
      async (
        dsn: string | undefined,
        opts: { dsnEnv?: string; rows: number; seed: number; schema: string; drop?: boolean; json?: boolean },
      ) => {
        const { SluiceError } = await import('../../core/errors.js');
        if ((dsn === undefined) === (opts.dsnEnv === undefined)) {
          throw new SluiceError(
            'USAGE',
            'Name the database once: `--dsn-env VAR` (preferred) or a positional environment variable name or postgres:// URL.',
          );
        }
        const given = (opts.dsnEnv ?? dsn) as string;
        const isUrl = given.includes('://');
        if (isUrl && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(given)) {
          process.stderr.write(
            'warning: a password on the command line is visible to other users of this machine; put the DSN in an environment variable and pass --dsn-env VAR.\n',
          );
        }
        const { loadFixtures } = await import('../load-fixtures.js');
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once('SIGINT', onSignal);
        try {
          const result = await loadFixtures({
            dsn: isUrl ? { url: given } : { env: given },
            rows: opts.rows,
            seed: opts.seed,
            schema: opts.schema,
            drop: opts.drop ?? false,
            signal: controller.signal,
          });
          if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else
            process.stdout.write(
              `${result.tables.map((t) => `loaded ${t.table} (${t.rows.toLocaleString('en-US')} rows) into ${result.target}`).join('\n')}\n`,
            );
        } finally {
          process.removeListener('SIGINT', onSignal);
        }
      },
    );
  return fixtures;
}
