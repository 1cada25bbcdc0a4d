import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../../core/error-codes.js';
import { errorJson, renderError } from '../render-error.js';

export function runCommand(): Command {
  return new Command('run')
    .description('Run a pipeline: extract through masks, write the dataset and its manifest atomically.')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option(
      '--shard <k/n>',
      "extract shard K of N (0-based) by each source's `shard_by` hash; combine with `pipeline manifest merge`",
      parseShard,
    )
    .option(
      '--full-refresh',
      'ignore the committed watermarks of incremental sources: read every row, then commit new watermarks',
    )
    .option(
      '--token-file <file>',
      'file holding your credential (else $SLUICE_TOKEN, else the config default)',
    )
    .option('--json', 'print one JSON object with the result on stdout (logs go to stderr)')
    .addOption(
      new Option('--log-format <format>', 'log line format on stderr')
        .choices(['plain', 'json'])
        .default('plain'),
    )
    .option('--no-progress', 'do not show progress')
    .addHelpText(
      'after',
      `
Example:
  pipeline run pipelines/demo.yaml
  pipeline run pipelines/demo.yaml --json | jq .manifest

A run stopped with Ctrl-C removes its staged files and exits 130; no file that looks complete is left.`,
    )
    .action(
      async (
        pipeline: string,
        opts: {
          config?: string;
          shard?: { index: number; count: number };
          fullRefresh?: boolean;
          tokenFile?: string;
          json?: boolean;
          logFormat: 'plain' | 'json';
          progress: boolean;
        },
      ) => {
        const [{ runPipeline }, { createRegistry }, { createLogger }, { createProgress }] = await Promise.all(
          [
            import('../../engine/run-pipeline.js'),
            import('../registry.js'),
            import('../../core/logger.js'),
            import('../progress.js'),
          ],
        );
        const logger = createLogger({ format: opts.logFormat });
        const controller = new AbortController();
        let interrupts = 0;
        const onSignal = (name: string) => {
          interrupts += 1;
          if (interrupts > 1) process.exit(EXIT.interrupted);
          logger.warn(
            `${name} received: stopping the run and removing staged files (press Ctrl-C again to force).`,
          );
          controller.abort(new Error(name));
        };
        const onInt = () => onSignal('SIGINT');
        const onTerm = () => onSignal('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
        const progress = opts.progress
          ? createProgress({ tty: Boolean(process.stderr.isTTY), logger })
          : undefined;
        try {
          const result = await runPipeline({
            pipeline,
            config: opts.config,
            tokenFile: opts.tokenFile,
            shard: opts.shard,
            fullRefresh: opts.fullRefresh === true,
            registry: await createRegistry(),
            signal: controller.signal,
            logger,
            onEvent: progress?.listener,
          });
          progress?.stop();
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            return;
          }
          const cwd = process.cwd();
          const rel = (p: string) => (p.startsWith(`${cwd}/`) ? p.slice(cwd.length + 1) : p);
          const lines = [`Run ${result.run_id} succeeded in ${(result.duration_ms / 1000).toFixed(1)}s.`];
          for (const o of result.outputs) {
            const bytes = o.files.reduce((n, f) => n + f.bytes, 0);
            lines.push(
              o.path === undefined
                ? `  table     ${o.table?.table} on ${o.table?.connection}  (${o.format}, ${o.rows.toLocaleString('en-US')} rows)`
                : `  dataset   ${rel(o.path)}  (${o.format}, ${o.rows.toLocaleString('en-US')} rows, ${formatBytes(bytes)})`,
            );
          }
          lines.push(`  manifest  ${rel(result.manifest)}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        } catch (err) {
          progress?.stop();
          const code = renderError(err);
          if (opts.json)
            process.stdout.write(`${JSON.stringify({ status: 'failed', error: errorJson(err) })}\n`);
          process.exitCode = code;
        } finally {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
        }
      },
    );
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new InvalidArgumentError('Expected K/N with 0 <= K < N, e.g. 0/4.');
  }
  return { index, count };
}
