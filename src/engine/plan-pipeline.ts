import { dirname, extname, join, resolve } from 'node:path';
import type { Schema } from 'apache-arrow';
import type { OutputConfig, PartialProject, Project } from '../config/load-project.js';
import { formatPath, locate } from '../config/yaml-file.js';
import { schemaColumns } from '../core/arrow-util.js';
import type { AnyOutputDefinition, OutputTableTarget } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import type { ConfigIssue } from '../core/errors.js';
import { ConfigError, SluiceError } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import type { Source, SourceSpec } from '../core/source.js';
import { quoteIdent, sourceQuery } from '../core/source-query.js';
import type { SqlEngine } from '../core/sql-engine.js';
import type { IncrementalRun } from '../incremental/incremental-run.js';
import { planIncremental } from '../incremental/plan-incremental.js';
import { checkOutputStages } from '../outputs/check-output-stages.js';
import { type AccessRequest, authorizeSource } from '../proxy/authorize-source.js';
import { authorizeWrite } from '../proxy/authorize-write.js';
import {
  type ColumnMaskPlan,
  type ColumnMasks,
  createColumnMasks,
  validateColumnMasks,
} from '../transforms/column-masks.js';
import { guardDrift } from './drift-guard.js';

export interface PlannedSource {
  name: string;
  connection: string;
  connectionType: string;
  source: Source;
  /**
   * The query as authorized (with the policy's row filters and limit), recorded as evidence. A
   * sharded run adds its shard predicate around it; the shard is recorded beside it.
   */
  query: string;
  /** Schema as the source returns it. */
  rawSchema: Schema;
  masks: ColumnMasks;
  /** Schema after the masks: what leaves the extraction. */
  schema: Schema;
  batchRows: number;
}

/** Where a table output writes, with its connection's config and the write's authorization. */
export interface PlannedTable extends OutputTableTarget {
  connectionType: string;
  /** The connection's config from the config file (passed to the output's `create`). */
  connectionConfig: { type: string };
  /** The columns written (the stream's schema). */
  schema: Schema;
  /** The approval the write relies on, when the target is protected. */
  approvalId?: string;
}

export interface PlannedOutput {
  name: string;
  config: OutputConfig;
  definition: AnyOutputDefinition;
  /** Absolute path of a file output; absent for a table output. */
  path?: string;
  /** Set for an output that writes a table. */
  table?: PlannedTable;
}

/** Stages that turn an output into a dataset of files, or reshape it, and so cannot feed one table. */
const FILE_ONLY_STAGES = ['split', 'max_rows_per_file', 'max_bytes_per_file', 'template'] as const;

export interface Plan {
  sources: PlannedSource[];
  select?: { sql: string; schema: Schema };
  outputs: PlannedOutput[];
  manifestPath: string;
}

/**
 * Opens each source just far enough to learn its schema and checks every mask against the column
 * it names. Returns the ready sources and every problem found.
 */
export async function planSources(
  project: PartialProject,
  registry: Registry,
  contexts: { connection: ComponentContext; pipeline: ComponentContext },
  access: AccessRequest | undefined,
  signal: AbortSignal,
  shard?: Shard,
  incrementalRun?: IncrementalRun,
): Promise<{ sources: PlannedSource[]; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const at = locator(project);
  const sources: PlannedSource[] = [];
  for (const [name, spec] of Object.entries(project.sources)) {
    const connection = project.config.connections[spec.connection] as { type: string };
    const definition = registry.get('connection', connection.type);
    // An incremental source is authorized as it runs: wrapped with its watermark predicate.
    const incremental = planIncremental(incrementalRun, {
      name,
      connection: spec.connection,
      connectionType: connection.type,
      definition,
      spec,
    });
    const preflight = incremental?.preflight();
    if (preflight) {
      issues.push(at(['sources', name, 'incremental'], preflight));
      continue;
    }
    const request = incremental
      ? { query: incremental.query.sql }
      : { query: spec.query, table: spec.table, columns: spec.columns };
    // The proxy's control plane: guard → policy → decision (audited), before anything connects.
    // Without an access request (validating a pipeline that is already invalid) only the schema is
    // read, to report every problem at once; such a plan never reads a row.
    const authorization = access
      ? await authorizeSource(
          {
            source: name,
            connection: spec.connection,
            connectionType: connection.type,
            spec: request,
            masks: project.transforms[name] ?? {},
          },
          access,
          registry,
          contexts.pipeline.events,
        )
      : {
          query: sourceQuery({ name, ...request }),
          mandatory: new Set<string>(),
        };
    let query = incremental
      ? await incremental.bind(
          authorization.query,
          new Set([...authorization.mandatory, ...Object.keys(project.transforms[name] ?? {})]),
        )
      : authorization.query;
    if (shard) {
      if (spec.shard_by === undefined || !definition.shardPredicate) {
        issues.push(
          at(
            ['sources', name],
            spec.shard_by === undefined
              ? `Source \`${name}\` has no \`shard_by\` column, so it cannot run with \`--shard\`. Name the column whose hash splits its rows.`
              : `Connection type \`${connection.type}\` cannot split its rows into shards.`,
          ),
        );
        continue;
      }
      // Our own wrapper around the authorized query: the shard predicate is not user input.
      query = `SELECT * FROM (${query}) AS sharded WHERE ${definition.shardPredicate(quoteIdent(spec.shard_by), shard.index, shard.count)}`;
    }
    // A remote extraction proxy applies the masks under its own policy and keys: send them along
    // and do not mask again here.
    const remoteMasks = definition.appliesMasks === true;
    const requested = project.transforms[name] ?? {};
    const purpose = access?.purpose ?? project.purpose;
    const source = definition.createSource(
      connection,
      {
        name,
        query,
        batch_rows: spec.batch_rows,
        ...(remoteMasks ? { masks: requested, ...(purpose === undefined ? {} : { purpose }) } : {}),
      } satisfies SourceSpec,
      contexts.connection,
    );
    let rawSchema: Schema;
    try {
      rawSchema = await source.describe(signal);
    } catch (err) {
      await source.close().catch(() => undefined);
      if (
        err instanceof SluiceError &&
        (err.code === 'QUERY_INVALID' || err.code === 'SCHEMA_MISMATCH' || err.code === 'CONFIG_NOT_FOUND')
      ) {
        const hint = incremental ? ` ${incremental.describeHint()}` : '';
        issues.push(
          at(['sources', name, spec.query === undefined ? 'table' : 'query'], `${err.message}${hint}`),
        );
        continue;
      }
      throw err;
    }
    const incrementalProblems = incremental?.check(rawSchema) ?? [];
    for (const problem of incrementalProblems) issues.push(at(['sources', name, 'incremental'], problem));
    if (incrementalProblems.length > 0) {
      await source.close().catch(() => undefined);
      continue;
    }
    const plans: ColumnMaskPlan[] = Object.entries(remoteMasks ? {} : requested).map(([column, config]) => ({
      column,
      definition: registry.get('mask', config.mask),
      config,
      origin: authorization.mandatory.has(column) ? ('policy' as const) : ('pipeline' as const),
    }));
    const problems = validateColumnMasks(name, rawSchema, plans);
    for (const problem of problems) issues.push(at(['transforms', name, problem.column], problem.message));
    if (problems.length > 0) {
      await source.close().catch(() => undefined);
      continue;
    }
    const columnMasks = await createColumnMasks(name, plans, contexts.pipeline);
    const covered = new Set([...Object.keys(requested), ...authorization.mandatory]);
    const masks: ColumnMasks = {
      outputSchema: (input) => columnMasks.outputSchema(input),
      apply: (input, signal) =>
        guardDrift(
          name,
          columnMasks.apply(input, signal),
          covered,
          project.config.drift,
          contexts.pipeline.events,
          contexts.pipeline.logger,
        ),
    };
    sources.push({
      name,
      connection: spec.connection,
      connectionType: connection.type,
      source: incremental ? incremental.wrap(source, contexts.pipeline.events) : source,
      query: authorization.query,
      rawSchema,
      masks,
      schema: masks.outputSchema(rawSchema),
      batchRows: spec.batch_rows,
    });
  }
  return { sources, issues };
}

function locator(project: PartialProject) {
  return (path: (string | number)[], message: string): ConfigIssue => ({
    file: project.pipelineFile.path,
    ...locate(project.pipelineFile, path),
    path: formatPath(path),
    message,
  });
}

/**
 * Phase 2 of validation: opens each source just far enough to learn its schema, checks every
 * mask against the column it names, and (with `select`) that the SQL binds against the masked
 * tables. All problems are reported together, before any row is read.
 */
export async function planPipeline(
  project: Project,
  registry: Registry,
  contexts: { connection: ComponentContext; pipeline: ComponentContext },
  access: AccessRequest,
  engine: SqlEngine | undefined,
  signal: AbortSignal,
  shard?: Shard,
  incremental?: IncrementalRun,
): Promise<Plan> {
  const { pipeline } = project;
  const issues: ConfigIssue[] = [];
  const at = locator(project);

  const planned = await planSources(project, registry, contexts, access, signal, shard, incremental);
  const sources = planned.sources;
  issues.push(...planned.issues);

  let select: Plan['select'];
  if (pipeline.select !== undefined && issues.length === 0 && engine) {
    for (const s of sources) await engine.load(s.name, s.schema, empty(), signal);
    try {
      select = { sql: pipeline.select, schema: await engine.describe(pipeline.select) };
    } catch (err) {
      if (!(err instanceof SluiceError) || err.code !== 'QUERY_INVALID') throw err;
      issues.push(
        at(
          ['select'],
          `${err.message} Tables available to \`select\`: ${sources.map((s) => `\`${s.name}\``).join(', ')}.`,
        ),
      );
    }
  }

  const outputs: PlannedOutput[] = pipeline.outputs.map((config, i) => {
    const name = config.source === undefined ? `outputs[${i}]` : `outputs[${i}] (${config.source})`;
    const definition = registry.get('output', config.format);
    const target = definition.target?.(config);
    if (!target)
      return {
        name,
        config,
        definition,
        path: shardPath(resolve(project.pipelineDir, config.path ?? ''), shard),
      };
    for (const stage of FILE_ONLY_STAGES) {
      if (config[stage] !== undefined)
        issues.push(
          at(
            ['outputs', i, stage],
            `\`${stage}\` shapes a dataset of files, but output format \`${config.format}\` writes one table. Remove \`${stage}\`, or add a file output for it.`,
          ),
        );
    }
    if (shard)
      issues.push(
        at(
          ['outputs', i],
          `Output format \`${config.format}\` writes one table, which shards of a \`--shard\` run would overwrite each other in. Run without \`--shard\`, or write files.`,
        ),
      );
    const connectionConfig = project.config.connections[target.connection] as { type: string };
    const fed = config.source ?? sources[0]?.name;
    const schema = select?.schema ?? sources.find((s) => s.name === fed)?.schema;
    return {
      name,
      config,
      definition,
      ...(schema
        ? { table: { ...target, connectionType: connectionConfig.type, connectionConfig, schema } }
        : {}),
    };
  });
  if (!pipeline.manifest.path && !outputs.some((o) => o.path !== undefined))
    issues.push(
      at(
        ['outputs'],
        'No output writes a file, so there is no default place for the manifest. Set `manifest.path`.',
      ),
    );
  const manifestPath = manifestPathFor(project, shard);
  for (const [i, o] of outputs.entries()) {
    if (o.path !== undefined && o.path === manifestPath)
      issues.push(
        at(['outputs', i, 'path'], 'This output would overwrite the manifest. Choose another path.'),
      );
  }
  // Columns the output stages name (`where`, `split.by`, …), against the rows each output receives.
  for (const [i, o] of outputs.entries()) {
    const rows =
      pipeline.select === undefined
        ? sources.find((s) => s.name === (o.config.source ?? sources[0]?.name))?.schema
        : select?.schema;
    if (!rows) continue;
    for (const problem of await checkOutputStages(o.config, rows))
      issues.push(at(['outputs', i, ...problem.path], problem.message));
  }

  if (issues.length > 0) {
    await Promise.all(sources.map((s) => s.source.close().catch(() => undefined)));
    throw new ConfigError(issues);
  }
  // Writes are authorized like reads: after the schemas are known, before any row is read.
  try {
    for (const o of outputs) {
      if (!o.table) continue;
      const { approvalId } = await authorizeWrite(
        {
          output: o.name,
          connection: o.table.connection,
          connectionType: o.table.connectionType,
          table: o.table.table,
          mode: o.table.mode,
          columns: schemaColumns(o.table.schema),
        },
        access,
        contexts.pipeline.events,
      );
      if (approvalId !== undefined) o.table.approvalId = approvalId;
    }
  } catch (err) {
    await Promise.all(sources.map((s) => s.source.close().catch(() => undefined)));
    throw err;
  }
  return { sources, ...(select ? { select } : {}), outputs, manifestPath };
}

async function* empty(): AsyncGenerator<never> {}

/** One part of a dataset split across runs: `pipeline run --shard K/N`. */
export interface Shard {
  index: number;
  count: number;
}

/** `out/data.parquet` → `out/data-00001-of-00004.parquet` for shard 1 of 4; unchanged without a shard. */
/**
 * Where the run's manifest goes: `manifest.path`, else `manifest.json` beside the first output that
 * writes a file (else the pipeline's folder), with the shard's suffix.
 */
export function manifestPathFor(
  project: Pick<Project, 'pipeline' | 'pipelineDir'>,
  shard: Shard | undefined,
): string {
  const { pipeline, pipelineDir } = project;
  const firstFile = pipeline.outputs.find((o) => typeof o.path === 'string')?.path;
  return shardPath(
    pipeline.manifest.path
      ? resolve(pipelineDir, pipeline.manifest.path)
      : join(
          dirname(firstFile === undefined ? pipelineDir : resolve(pipelineDir, firstFile)),
          'manifest.json',
        ),
    shard,
  );
}

export function shardPath(path: string, shard: Shard | undefined): string {
  if (!shard) return path;
  const ext = extname(path);
  const tag = `-${String(shard.index).padStart(5, '0')}-of-${String(shard.count).padStart(5, '0')}`;
  return `${path.slice(0, path.length - ext.length)}${tag}${ext}`;
}
