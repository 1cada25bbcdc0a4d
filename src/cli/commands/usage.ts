import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { SluiceError } from '../../core/errors.js';
import type {
  ColumnUsage,
  IdentityUsage,
  IndexUsageResult,
  ModelCardUsage,
  SubjectSearchResult,
  UsageConfig,
  UsageStore,
} from '../../usage/index.js';

interface CommonOptions {
  index?: string;
  config?: string;
  json?: boolean;
}

interface IndexOptions extends CommonOptions {
  audit?: string | false;
  publicKey: string[];
}

interface SubjectOptions extends CommonOptions {
  column: string;
  value?: string;
  valueFile?: string;
}

/** `pipeline usage index|column|identity|model-card|subject`: who used which data, from manifests and the audit log. */
export function usageCommand(): Command {
  const usage = new Command('usage').description(
    'Answer usage questions from manifests and the audit log, indexed into an embedded DuckDB file (default `usage.duckdb` beside the audit log): which runs read a column and with which masks, what an identity read, which datasets a model card references, which datasets contain a data subject.',
  );

  common(usage.command('index'))
    .description(
      'Index manifests (files, or directories searched for `manifest.json`), verifying each, and the audit log. Re-indexing is idempotent.',
    )
    .argument('<manifests...>', 'manifest files or directories')
    .option('--audit <log>', 'audit log to index (default: the config\u2019s, when it exists)')
    .option('--no-audit', 'do not index an audit log')
    .option('--public-key <pem-file>', 'trusted manifest signing key (repeatable)', collect, [])
    .action(async (paths: string[], options: IndexOptions) => {
      const { findManifests, indexUsage } = await import('../../usage/index.js');
      const manifests = await findManifests(paths);
      const config = await optionalConfig(options.config);
      let audit: string | undefined;
      if (typeof options.audit === 'string') audit = resolve(options.audit);
      else if (options.audit !== false && config && (await exists(config.auditLog))) audit = config.auditLog;
      if (audit !== undefined && !(await exists(audit))) {
        throw new SluiceError(
          'CONFIG_NOT_FOUND',
          `Audit log \`${audit}\` does not exist. Check \`--audit\`.`,
          {
            context: { file: audit },
          },
        );
      }
      const publicKeys =
        options.publicKey.length === 0
          ? undefined
          : await Promise.all(
              options.publicKey.map(async (f) =>
                (await import('../../evidence/signing.js')).loadPublicKey(f),
              ),
            );
      const result = await withStore(options, config, true, (store) =>
        indexUsage(store, manifests, {
          ...(audit === undefined ? {} : { audit }),
          ...(publicKeys === undefined ? {} : { publicKeys }),
        }),
      );
      print(options, result.value, () => describeIndex(result.value, result.index));
    });

  common(usage.command('column'))
    .description(
      'Which runs and datasets read a column, with which masks (mask, key id, parameters), who ran them, when, and where the datasets are.',
    )
    .argument('<column>', '`connection.table.column`, e.g. `demo.customers.email`')
    .action(async (column: string, options: CommonOptions) => {
      const { parseColumnRef, columnUsage } = await import('../../usage/index.js');
      const ref = parseColumnRef(column, 'required');
      const config = await optionalConfig(options.config);
      const { value } = await withStore(options, config, false, (store) => columnUsage(store, ref));
      print(options, value, () => describeColumn(column, value));
    });

  common(usage.command('identity'))
    .description(
      'What an identity read: runs where it is the subject, the human an agent acted for, or the agent.',
    )
    .argument('<subject>', 'identity subject, on_behalf_of or agent id')
    .action(async (subject: string, options: CommonOptions) => {
      const { identityUsage } = await import('../../usage/index.js');
      const config = await optionalConfig(options.config);
      const { value } = await withStore(options, config, false, (store) => identityUsage(store, subject));
      print(options, value, () => describeIdentity(value));
    });

  common(usage.command('model-card'))
    .description(
      'Which datasets a model card references (its `usage_manifest` front matter), resolved to indexed manifests.',
    )
    .argument('<card>', 'model card README.md')
    .action(async (card: string, options: CommonOptions) => {
      const { modelCardUsage } = await import('../../usage/index.js');
      const config = await optionalConfig(options.config);
      const { value } = await withStore(options, config, false, (store) => modelCardUsage(store, card));
      print(options, value, () => describeModelCard(value));
    });

  common(usage.command('subject'))
    .description(
      'For an erasure request: which indexed datasets contain a data subject. Recomputes the subject\u2019s token under each dataset\u2019s key id (hmac, fpe, redact_pii with replace: hmac) and searches the dataset for it; unmasked columns are compared in memory. The value is never stored or printed (only a SHA-256 prefix). Prefer --value-file or stdin: command lines end up in shell history.',
    )
    .requiredOption(
      '--column <table.column>',
      'source column holding the value, e.g. `customers.email` (or `connection.table.column`)',
    )
    .option('--value-file <file>', 'file holding the value (`-` for stdin); one trailing newline is ignored')
    .option(
      '--value <value>',
      'the value itself (visible in shell history and `ps`: prefer --value-file or stdin)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  printf %s "$EMAIL" | pipeline usage subject --column customers.email --value-file -',
    )
    .action(async (options: SubjectOptions) => {
      const { parseColumnRef, findSubject } = await import('../../usage/index.js');
      const ref = parseColumnRef(options.column, 'optional');
      const value = await readValue(options);
      const config = await requiredConfig(options.config);
      const { openDatasetSearch } = await import('../../../connectors/duckdb/usage-index.js');
      const search = await openDatasetSearch();
      try {
        const { value: result } = await withStore(options, config, false, (store) =>
          findSubject(store, search, config.keys, ref, value),
        );
        print(options, result, () => describeSubject(result));
      } finally {
        await search.close();
      }
    });

  return usage;
}

function common(command: Command): Command {
  return command
    .option('--index <file>', 'usage index file (default: usage.duckdb beside the config\u2019s audit log)')
    .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, else the nearest sluice.yaml)')
    .option('--json', 'print one JSON document');
}

async function optionalConfig(explicit: string | undefined): Promise<UsageConfig | undefined> {
  try {
    return await requiredConfig(explicit);
  } catch (cause) {
    if (explicit === undefined && cause instanceof SluiceError && cause.code === 'CONFIG_NOT_FOUND')
      return undefined;
    throw cause;
  }
}

async function requiredConfig(explicit: string | undefined): Promise<UsageConfig> {
  const [{ findConfigFrom }, { loadUsageConfig }] = await Promise.all([
    import('../../config/find-config.js'),
    import('../../usage/index.js'),
  ]);
  return loadUsageConfig(await findConfigFrom(process.cwd(), explicit, process.env));
}

async function withStore<T>(
  options: CommonOptions,
  config: UsageConfig | undefined,
  create: boolean,
  use: (store: UsageStore) => Promise<T>,
): Promise<{ value: T; index: string }> {
  const index = options.index !== undefined ? resolve(options.index) : config?.defaultIndex;
  if (index === undefined) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      'No usage index given and no config file found. Pass `--index <file>` or `--config <file>`.',
    );
  }
  if (!create && !(await exists(index))) {
    throw new SluiceError(
      'CONFIG_NOT_FOUND',
      `Usage index \`${index}\` does not exist. Build it first: \`pipeline usage index <manifest-or-dir>...\`.`,
      { context: { file: index } },
    );
  }
  const { openUsageIndex } = await import('../../../connectors/duckdb/usage-index.js');
  const store = await openUsageIndex(index);
  try {
    return { value: await use(store), index };
  } finally {
    await store.close();
  }
}

async function readValue(options: SubjectOptions): Promise<string> {
  if (options.value !== undefined && options.valueFile !== undefined) {
    throw new SluiceError('USAGE', 'Give the value with `--value` or `--value-file`, not both.');
  }
  if (options.value !== undefined) {
    process.stderr.write(
      'note: a value given with --value stays in shell history and is visible in the process list; prefer --value-file or stdin.\n',
    );
    return options.value;
  }
  let text: string;
  if (options.valueFile !== undefined && options.valueFile !== '-') {
    const { readFile } = await import('node:fs/promises');
    try {
      text = await readFile(options.valueFile, 'utf8');
    } catch (cause) {
      throw new SluiceError('CONFIG_NOT_FOUND', `Value file \`${options.valueFile}\` cannot be read.`, {
        context: { file: options.valueFile },
        cause,
      });
    }
  } else {
    if (options.valueFile === undefined && process.stdin.isTTY) {
      throw new SluiceError(
        'USAGE',
        'No value given. Pipe it on stdin or pass `--value-file <file>` (or `--value`, which shell history keeps).',
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  return text.replace(/\r?\n$/, '');
}

function print<T>(options: CommonOptions, value: T, describe: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${describe()}\n`);
}

function describeIndex(result: IndexUsageResult, index: string): string {
  const lines = [`Usage index ${index}`];
  for (const m of result.manifests) {
    const verdict = m.verification === 'ok' ? 'verified' : `VERIFICATION FAILED (${m.problems.join('; ')})`;
    lines.push(`  ${m.action.padEnd(9)} ${m.run_id ?? '-'}  ${m.manifest}  ${verdict}`);
  }
  if (result.manifests.length === 0) lines.push('  no manifest found');
  if (result.audit) {
    lines.push(
      `  audit log ${result.audit.log}: ${result.audit.read} records read, ${result.audit.added} new indexed`,
    );
  }
  return lines.join('\n');
}

function describeColumn(column: string, usage: ColumnUsage): string {
  if (usage.runs.length === 0 && usage.decisions.length === 0) return `No indexed run read ${column}.`;
  const lines = [`${column}: read by ${usage.runs.length} run(s)`];
  for (const { run, read_by_sources, landed_in } of usage.runs) {
    lines.push(
      `  run ${run.run_id} (${run.pipeline}) ${run.started_at} by ${identityText(run)}${run.verification === 'ok' ? '' : '  [manifest verification failed]'}`,
    );
    if (read_by_sources.length > 0) lines.push(`    read by source(s) ${read_by_sources.join(', ')}`);
    for (const l of landed_in) {
      const masks =
        l.masks.length === 0
          ? 'unmasked'
          : l.masks
              .map((m) => `${m.mask}${m.key_id ? ` key ${m.key_id}` : ''} ${JSON.stringify(m.params)}`)
              .join(' then ');
      lines.push(`    -> ${l.output}.${l.output_column} (${masks}) ${l.format} ${l.path}`);
    }
    if (landed_in.length === 0) lines.push('    not in any output');
  }
  const denied = usage.decisions.filter((d) => d.outcome !== 'allow');
  lines.push(`  policy decisions naming it: ${usage.decisions.length} (${denied.length} not allowed)`);
  return lines.join('\n');
}

function describeIdentity(usage: IdentityUsage): string {
  if (usage.runs.length === 0 && usage.audit.length === 0)
    return `No indexed run or decision for ${usage.subject}.`;
  const lines = [`${usage.subject}: ${usage.runs.length} run(s)`];
  for (const { run, as, columns } of usage.runs) {
    lines.push(
      `  run ${run.run_id} (${run.pipeline}) ${run.started_at} as ${as.join(', ')}, purpose ${run.purpose ?? '-'}`,
    );
    for (const c of columns) {
      lines.push(
        `    ${c.column} -> ${c.output}.${c.output_column}${c.masks.length > 0 ? ` (${c.masks.join(', ')})` : ' (unmasked)'}`,
      );
    }
  }
  const decisions = usage.audit.filter((a) => a.kind === 'decision');
  lines.push(
    `  audit: ${decisions.length} decision(s) (${decisions.filter((d) => d.outcome !== 'allow').length} not allowed), ${usage.audit.length - decisions.length} extraction record(s)`,
  );
  return lines.join('\n');
}

function describeModelCard(usage: ModelCardUsage): string {
  if (usage.references.length === 0) return `${usage.card} references no usage manifest.`;
  const lines = [`${usage.card}: ${usage.references.length} usage manifest(s)`];
  for (const ref of usage.references) {
    lines.push(
      `  ${ref.status.padEnd(11)} ${ref.uri}${ref.run ? ` run ${ref.run.run_id} (${ref.run.pipeline}) by ${identityText(ref.run)}` : ''}`,
    );
    for (const o of ref.outputs) lines.push(`    ${o.output}: ${o.format} ${o.path} digest ${o.digest}`);
  }
  return lines.join('\n');
}

function describeSubject(result: SubjectSearchResult): string {
  const lines = [`Data subject sha256:${result.value_sha256_prefix}\u2026 in ${result.column}`];
  if (result.datasets.length === 0) lines.push('  no indexed dataset derives from this column');
  for (const d of result.datasets) {
    const how = d.mask ? `${d.mask}${d.key_id ? ` key ${d.key_id}` : ''}` : 'unmasked';
    const status = d.status === 'found' ? `FOUND (${d.rows} row(s))` : d.status.replace('_', ' ');
    lines.push(
      `  ${status}: run ${d.run_id} (${d.pipeline}) ${d.output}.${d.output_column} [${how}] ${d.path}${d.reason ? ` \u2014 ${d.reason}` : ''}`,
    );
  }
  const found = result.datasets.filter((d) => d.status === 'found').length;
  lines.push(`${found} dataset column(s) contain the subject.`);
  return lines.join('\n');
}

function identityText(run: {
  subject: string;
  on_behalf_of: string | null;
  agent_id: string | null;
}): string {
  return `${run.subject}${run.agent_id ? ` (agent ${run.agent_id})` : ''}${run.on_behalf_of ? ` on behalf of ${run.on_behalf_of}` : ''}`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
