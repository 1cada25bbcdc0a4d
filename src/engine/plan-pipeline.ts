import { dirname, extname, join, resolve } from 'node:path';
import type { Schema } from 'apache-arrow';
import type { OutputConfig, PartialProject, Project } from '../config/load-project.js';
import { formatPath, locate } from '../config/yaml-file.js';
import type { AnyOutputDefinition } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import type { ConfigIssue } from '../core/errors.js';
import { ConfigError, SluiceError } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import type { Source, SourceSpec } from '../core/source.js';
import { quoteIdent, sourceQuery } from '../core/source-query.js';
import type { SqlEngine } from '../core/sql-engine.js';
import { type AccessRequest, authorizeSource } from '../proxy/authorize-source.js';
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

export interface PlannedOutput {
  name: string;
  config: OutputConfig;
  definition: AnyOutputDefinition;
  /** Absolute path. */
  path: string;
}

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
): Promise<{ sources: PlannedSource[]; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const at = locator(project);
  const sources: PlannedSource[] = [];
  for (const [name, spec] of Object.entries(project.sources)) {
    const connection = project.config.connections[spec.connection] as { type: string };
    const definition = registry.get('connection', connection.type);
    // The proxy's control plane: guard → policy → decision (audited), before anything connects.
    // Without an access request (validating a pipeline that is already invalid) only the schema is
    // read, to report every problem at once; such a plan never reads a row.
    const authorization = access
      ? await authorizeSource(
          {
            source: name,
            connection: spec.connection,
            connectionType: connection.type,
            spec: { query: spec.query, table: spec.table, columns: spec.columns },
            masks: project.transforms[name] ?? {},
          },
          access,
          registry,
          contexts.pipeline.events,
        )
      : {
          query: sourceQuery({ name, query: spec.query, table: spec.table, columns: spec.columns }),
          mandatory: new Set<string>(),
        };
    let query = authorization.query;
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
        issues.push(at(['sources', name, spec.query === undefined ? 'table' : 'query'], err.message));
        continue;
      }
      throw err;
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
      source,
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
): Promise<Plan> {
  const { pipeline } = project;
  const issues: ConfigIssue[] = [];
  const at = locator(project);

  const planned = await planSources(project, registry, contexts, access, signal, shard);
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

  const outputs: PlannedOutput[] = pipeline.outputs.map((config, i) => ({
    name: config.source === undefined ? `outputs[${i}]` : `outputs[${i}] (${config.source})`,
    config,
    definition: registry.get('output', config.format),
    path: shardPath(resolve(project.pipelineDir, config.path), shard),
  }));
  const manifestPath = shardPath(
    pipeline.manifest.path
      ? resolve(project.pipelineDir, pipeline.manifest.path)
      : join(dirname(outputs[0]?.path ?? project.pipelineDir), 'manifest.json'),
    shard,
  );
  for (const [i, o] of outputs.entries()) {
    if (o.path === manifestPath)
      issues.push(
        at(['outputs', i, 'path'], 'This output would overwrite the manifest. Choose another path.'),
      );
  }

  if (issues.length > 0) {
    await Promise.all(sources.map((s) => s.source.close().catch(() => undefined)));
    throw new ConfigError(issues);
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
export function shardPath(path: string, shard: Shard | undefined): string {
  if (!shard) return path;
  const ext = extname(path);
  const tag = `-${String(shard.index).padStart(5, '0')}-of-${String(shard.count).padStart(5, '0')}`;
  return `${path.slice(0, path.length - ext.length)}${tag}${ext}`;
}
