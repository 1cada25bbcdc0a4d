/**
 * The package entry: the framework plus the built-in connections (DuckDB, files, fixtures),
 * outputs and masks, so a pipeline runs from code as it does from the CLI.
 *
 * @example
 * import { runPipeline } from 'sluice';
 * const result = await runPipeline({ pipeline: 'pipelines/demo.yaml' });
 * console.log(result.outputs[0].rows, result.manifest);
 */

import { createRegistry } from './cli/registry.js';
import type { Registry } from './core/registry.js';
import { type RunPipelineOptions, type RunResult, runPipeline as run } from './engine/run-pipeline.js';
import { type ValidationReport, validatePipeline as validate } from './engine/validate-pipeline.js';

export * from './index.js';
export { createRegistry };

export type PipelineOptions = Omit<RunPipelineOptions, 'registry'> & { registry?: Registry };

/** Runs a pipeline file with the built-in components (plus `registry`'s, when given). */
export async function runPipeline(options: PipelineOptions): Promise<RunResult> {
  return run({ ...options, registry: options.registry ?? (await createRegistry()) });
}

/** Validates a pipeline file (both phases) without reading data. */
export async function validatePipeline(options: PipelineOptions): Promise<ValidationReport> {
  return validate({ ...options, registry: options.registry ?? (await createRegistry()) });
}
