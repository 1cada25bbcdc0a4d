import { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { errorJson, renderError } from '../render-error.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'Check a pipeline and its config without reading data: every problem, with file, line and YAML path.',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (pipeline: string, opts: { config?: string; json?: boolean }) => {
      const [{ validatePipeline }, { createRegistry }] = await Promise.all([
        import('../../engine/validate-pipeline.js'),
        import('../registry.js'),
      ]);
      try {
        const report = await validatePipeline({
          pipeline,
          config: opts.config,
          registry: await createRegistry(),
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const lines = [`${report.pipeline} is valid.`];
        for (const s of report.sources) {
          lines.push(
            `  source ${s.name} (${s.connection}): ${s.columns.length} columns${s.masked.length ? `, masks on ${s.masked.map((c) => `\`${c}\``).join(', ')}` : ''}`,
          );
        }
        if (report.select) lines.push(`  select: ${report.select.columns.map((c) => c.name).join(', ')}`);
        for (const o of report.outputs)
          lines.push(
            `  output ${o.format}: ${o.path ?? `table ${o.table?.table} on connection ${o.table?.connection} (${o.table?.mode})`}`,
          );
        process.stdout.write(`${lines.join('\n')}\n`);
      } catch (err) {
        if (opts.json) {
          const body =
            err instanceof ConfigError
              ? { valid: false, issues: err.issues }
              : { valid: false, error: errorJson(err) };
          process.stdout.write(`${JSON.stringify(body)}\n`);
        }
        process.exitCode = renderError(err);
      }
    });
}
