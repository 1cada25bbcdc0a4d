import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Data, DataType, type Field, Vector } from 'apache-arrow';
import { buildConfigSchema } from '../config/config-schema.js';
import { findConfig } from '../config/find-config.js';
import { loadPlugins } from '../config/load-plugins.js';
import { validateYaml } from '../config/validate-yaml.js';
import { readYamlFile } from '../config/yaml-file.js';
import { typeToString } from '../core/arrow-util.js';
import type { AnyConnectionDefinition } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import { ConfigError, SluiceError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { createLogger } from '../core/logger.js';
import type { Registry } from '../core/registry.js';
import { createSecretResolver } from '../core/secrets.js';
import { createKeyRing } from '../transforms/key-ring.js';
import { type ColumnClass, classifyColumnName } from './classify-column-name.js';
import { classifyValues } from './classify-values.js';
import type { PiiKind } from './pii-kind.js';

/** What `pipeline scan` found in one column; ratios only, never values. */
export interface ScannedColumn {
  column: string;
  type: string;
  /** Class suggested by the column name. */
  name_class?: ColumnClass;
  /** Share of sampled non-null values containing each kind. */
  ratios: Partial<Record<PiiKind, number>>;
  /** Share of sampled non-null values that are entirely one entity of each kind. */
  whole: Partial<Record<PiiKind, number>>;
  values_sampled: number;
  /** The class proposed for the policy, if any. */
  proposed?: string;
  /** Why it was proposed: `name`, `values` or `name+values`. */
  basis?: string;
}

export interface ScanReport {
  connection: string;
  sample: number;
  threshold: number;
  tables: { table: string; rows_sampled: number; columns: ScannedColumn[] }[];
  /** `<connection>.<table>.<column>` → class, as in a policy's `classifications`. */
  classifications: Record<string, string>;
}

export interface ScanOptions {
  connection: string;
  table?: string | undefined;
  sample: number;
  threshold: number;
  config?: string | undefined;
  registry: Registry;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

const KIND_CLASS: Record<PiiKind, string> = {
  email: 'email',
  phone: 'phone',
  card: 'card',
  iban: 'iban',
  ssn: 'ssn',
  ipv4: 'ip',
  ipv6: 'ip',
  secret: 'secret',
};

/** Share of values with any entity above which a string column is proposed as `free_text_pii`. */
export const FREE_TEXT_RATIO = 0.05;

/** Proposes a class from the name and the value ratios. */
export function proposeClass(
  field: Field,
  nameClass: ColumnClass | undefined,
  ratios: Partial<Record<PiiKind, number>>,
  whole: Partial<Record<PiiKind, number>>,
  threshold: number,
): { proposed?: string; basis?: string } {
  const best = (r: Partial<Record<PiiKind, number>>) =>
    (Object.entries(r) as [PiiKind, number][]).sort((a, b) => b[1] - a[1])[0];
  const w = best(whole);
  if (w && w[1] >= threshold) {
    const cls = KIND_CLASS[w[0]];
    return { proposed: cls, basis: nameClass === cls ? 'name+values' : 'values' };
  }
  if (
    nameClass === 'date_of_birth' &&
    !DataType.isDate(field.type) &&
    !DataType.isTimestamp(field.type) &&
    !DataType.isUtf8(field.type)
  ) {
    return {};
  }
  if (nameClass) return { proposed: nameClass, basis: 'name' };
  // Free text with entities here and there: the summed ratios approximate the share of values with any.
  const any = Object.values(ratios).reduce((a, b) => a + b, 0);
  if (any >= FREE_TEXT_RATIO) return { proposed: 'free_text_pii', basis: 'values' };
  return {};
}

async function readSample(
  definition: AnyConnectionDefinition,
  connection: unknown,
  spec: { name: string; table?: string; query?: string },
  sample: number,
  ctx: ComponentContext,
  signal: AbortSignal,
): Promise<{ fields: Field[]; columns: Data[][]; rows: number }> {
  const source = definition.createSource(connection, { ...spec, batch_rows: Math.min(sample, 10_000) }, ctx);
  const columns: Data[][] = [];
  let fields: Field[] = [];
  let rows = 0;
  try {
    for await (const batch of source.read(signal)) {
      fields = batch.schema.fields;
      const take = Math.min(batch.numRows, sample - rows);
      const b = take < batch.numRows ? batch.slice(0, take) : batch;
      b.schema.fields.forEach((_, i) => {
        const list = columns[i] ?? [];
        list.push(...b.getChildAt(i)!.data);
        columns[i] = list;
      });
      rows += take;
      if (rows >= sample) break;
    }
    if (fields.length === 0) fields = (await source.describe(signal)).fields;
  } finally {
    await source.close();
  }
  return { fields, columns, rows };
}

/**
 * Classifies every column of a connection's tables (or one table) by name and by the first `sample`
 * rows' values. The report holds names, types and ratios only.
 */
export async function scanConnection(options: ScanOptions): Promise<ScanReport> {
  const env = options.env ?? process.env;
  const signal = options.signal ?? new AbortController().signal;
  const configPath = await findConfig(join(process.cwd(), 'scan'), options.config, env);
  const configFile = await readYamlFile(configPath, 'Config file');
  const configDir = dirname(configPath);
  const pluginIssues =
    configFile.syntaxIssues.length === 0 ? await loadPlugins(configFile, options.registry, configDir) : [];
  const config = validateYaml(configFile, buildConfigSchema(options.registry), env);
  if (!config.value || pluginIssues.length > 0) throw new ConfigError([...pluginIssues, ...config.issues]);
  const connections = config.value.connections as Record<string, { type: string }>;
  const connection = Object.hasOwn(connections, options.connection)
    ? connections[options.connection]
    : undefined;
  if (!connection) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `Connection \`${options.connection}\` is not defined in \`${configPath}\`. Defined: ${
        Object.keys(connections)
          .map((c) => `\`${c}\``)
          .join(', ') || 'none'
      }.`,
      { context: { connection: options.connection } },
    );
  }
  const definition = options.registry.get('connection', connection.type) as AnyConnectionDefinition;
  const tempDir = await mkdtemp(join(tmpdir(), 'sluice-scan-'));
  const secrets = createSecretResolver(configDir, env);
  const ctx: ComponentContext = {
    runId: 'scan',
    events: new EventBus('scan'),
    logger: createLogger(),
    baseDir: resolve(configDir),
    secrets,
    keys: createKeyRing(config.value.keys ?? {}, secrets),
    tempDir,
  };
  try {
    let tables: string[];
    if (options.table !== undefined) tables = [options.table];
    else {
      const listing = await readSample(
        definition,
        connection,
        {
          name: 'tables',
          query:
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2",
        },
        100_000,
        ctx,
        signal,
      );
      const schemas = new Vector(listing.columns[0] ?? []);
      const names = new Vector(listing.columns[1] ?? []);
      tables = [];
      for (let i = 0; i < listing.rows; i++) {
        const schema = String(schemas.get(i));
        tables.push(
          schema === 'main' || schema === 'public' ? String(names.get(i)) : `${schema}.${names.get(i)}`,
        );
      }
    }
    const report: ScanReport = {
      connection: options.connection,
      sample: options.sample,
      threshold: options.threshold,
      tables: [],
      classifications: {},
    };
    for (const table of tables) {
      const { fields, columns, rows } = await readSample(
        definition,
        connection,
        { name: table, table },
        options.sample,
        ctx,
        signal,
      );
      const scanned = fields.map((field, i): ScannedColumn => {
        const nameClass = classifyColumnName(field.name);
        const { values, ratios, whole } = classifyValues(new Vector(columns[i] ?? []));
        const proposal = proposeClass(field, nameClass, ratios, whole, options.threshold);
        if (proposal.proposed)
          report.classifications[`${options.connection}.${table}.${field.name}`] = proposal.proposed;
        return {
          column: field.name,
          type: typeToString(field.type),
          ...(nameClass ? { name_class: nameClass } : {}),
          ratios,
          whole,
          values_sampled: values,
          ...proposal,
        };
      });
      report.tables.push({ table, rows_sampled: rows, columns: scanned });
    }
    return report;
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

const pct = (r: number) => `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`;

/** The report as policy-style YAML to review: proposed classifications, ratios as comments. */
export function formatScanYaml(report: ScanReport): string {
  const lines = [
    `# Proposed by \`pipeline scan ${report.connection}\` from the first ${report.sample} rows of each table.`,
    '# Review before copying into the policy: detectors miss things and names can mislead.',
    'classifications:',
  ];
  const entries = Object.entries(report.classifications);
  if (entries.length === 0) lines.push('  {}');
  for (const [key, cls] of entries) lines.push(`  ${JSON.stringify(key)}: ${cls}`);
  lines.push(
    '',
    '# Report: column, type, name match, share of sampled values containing (and being) each kind',
  );
  for (const t of report.tables) {
    lines.push(`# ${t.table} (${t.rows_sampled} rows sampled)`);
    for (const c of t.columns) {
      const ratios = (Object.entries(c.ratios) as [PiiKind, number][])
        .map(([k, r]) => `${k} ${pct(r)}${c.whole[k] ? ` (whole ${pct(c.whole[k]!)})` : ''}`)
        .join(', ');
      lines.push(
        `#   ${c.column} ${c.type}${c.name_class ? ` name:${c.name_class}` : ''}${ratios ? ` values: ${ratios}` : ''}${c.proposed ? ` → ${c.proposed} (${c.basis})` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
