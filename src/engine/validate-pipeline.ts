import { join } from 'node:path';
import { schemaColumns } from '../core/arrow-util.js';
import type { ColumnFacts } from '../core/events.js';
import type { SqlEngine } from '../core/sql-engine.js';
import { planPipeline } from './plan-pipeline.js';
import { newRunId, prepareRun, type RunPipelineOptions } from './run-pipeline.js';

export interface ValidationReport {
  valid: true;
  pipeline: string;
  config: string;
  sources: { name: string; connection: string; query: string; columns: ColumnFacts[]; masked: string[] }[];
  select?: { columns: ColumnFacts[] };
  outputs: { path?: string; table?: { connection: string; table: string; mode: string }; format: string }[];
  manifest: string;
}

/**
 * Both validation phases without reading a row: the files against their schemas, then each
 * source's schema against the masks, and the `select` against the masked tables. Throws a
 * ConfigError listing every problem.
 */
export async function validatePipeline(options: RunPipelineOptions): Promise<ValidationReport> {
  const signal = options.signal ?? new AbortController().signal;
  const run = await prepareRun(options, newRunId());
  let engine: SqlEngine | undefined;
  try {
    if (run.project.pipeline.select !== undefined)
      engine = await options.registry.sqlEngine()({ dir: join(run.tempDir, 'engine') });
    const plan = await planPipeline(run.project, options.registry, run.contexts, run.access, engine, signal);
    await Promise.all(plan.sources.map((s) => s.source.close()));
    return {
      valid: true,
      pipeline: run.project.pipelineFile.path,
      config: run.project.configFile.path,
      sources: plan.sources.map((s) => ({
        name: s.name,
        connection: s.connection,
        query: s.source.query,
        columns: schemaColumns(s.schema),
        masked: Object.keys(run.project.pipeline.transforms[s.name] ?? {}),
      })),
      ...(plan.select ? { select: { columns: schemaColumns(plan.select.schema) } } : {}),
      outputs: plan.outputs.map((o) => ({
        ...(o.path === undefined ? {} : { path: o.path }),
        ...(o.table
          ? { table: { connection: o.table.connection, table: o.table.table, mode: o.table.mode } }
          : {}),
        format: o.config.format,
      })),
      manifest: plan.manifestPath,
    };
  } finally {
    await engine?.close().catch(() => undefined);
    await run.dispose();
  }
}
