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
  return fixtures;
}
