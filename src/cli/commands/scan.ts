import { Command } from 'commander';

interface ScanOptions {
  table?: string;
  sample: string;
  json?: boolean;
  config?: string;
  threshold: string;
}

export function scanCommand(): Command {
  return new Command('scan')
    .description(
      'Classify the columns of a connection by name and by sampled values; print proposed policy classifications (YAML) and match ratios. Never prints a value.',
    )
    .argument('<connection>', 'connection name from the config file')
    .option('-t, --table <table>', 'scan only this table (default: every table of the connection)')
    .option('-n, --sample <rows>', 'rows read per table (the first rows, not a random sample)', '1000')
    .option('--threshold <ratio>', 'share of values a detector must match to propose its class', '0.5')
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (connection: string, opts: ScanOptions) => {
      const [{ scanConnection, formatScanYaml }, { createRegistry }] = await Promise.all([
        import('../../detect/scan-connection.js'),
        import('../registry.js'),
      ]);
      const sample = Number(opts.sample);
      const threshold = Number(opts.threshold);
      if (!Number.isInteger(sample) || sample < 1 || !(threshold > 0 && threshold <= 1)) {
        const { SluiceError } = await import('../../core/errors.js');
        throw new SluiceError(
          'USAGE',
          '`--sample` must be a positive integer and `--threshold` a ratio in (0, 1].',
        );
      }
      const report = await scanConnection({
        connection,
        table: opts.table,
        sample,
        threshold,
        config: opts.config,
        registry: await createRegistry(),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatScanYaml(report));
    });
}
