import { dirname, join, resolve } from 'node:path';
import type { Project } from '../config/load-project.js';
import { SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { IncrementalRun } from '../incremental/incremental-run.js';
import { incrementalStatePath } from '../incremental/incremental-state.js';
import { type Shard, shardPath } from './plan-pipeline.js';

/**
 * The run's watermarks when a source of the pipeline is incremental, else undefined. The state
 * file lies beside the manifest (the same place `planPipeline` puts it), one per shard.
 */
export async function incrementalRunFor(
  project: Project,
  options: { shard?: Shard | undefined; fullRefresh?: boolean | undefined; logger?: Logger | undefined },
): Promise<IncrementalRun | undefined> {
  if (!Object.values(project.sources).some((s) => s.incremental !== undefined)) return undefined;
  const { pipeline, pipelineDir } = project;
  const firstFile = pipeline.outputs.find((o) => typeof o.path === 'string')?.path;
  const manifestPath = shardPath(
    pipeline.manifest.path
      ? resolve(pipelineDir, pipeline.manifest.path)
      : join(
          dirname(firstFile === undefined ? pipelineDir : resolve(pipelineDir, firstFile)),
          'manifest.json',
        ),
    options.shard,
  );
  return IncrementalRun.open({
    pipeline: pipeline.name,
    statePath: incrementalStatePath(manifestPath),
    fullRefresh: options.fullRefresh,
    sharded: options.shard !== undefined,
    logger: options.logger,
  });
}

/** Stops a run whose planned manifest is not where its watermarks were read from. */
export function checkIncrementalManifest(run: IncrementalRun | undefined, manifestPath: string): void {
  if (run && run.statePath !== incrementalStatePath(manifestPath)) {
    throw new SluiceError('INTERNAL', 'The incremental state file is not beside the planned manifest.');
  }
}
