import type { Project } from '../config/load-project.js';
import type { Logger } from '../core/logger.js';
import { IncrementalRun } from '../incremental/incremental-run.js';
import { incrementalStatePath } from '../incremental/incremental-state.js';
import { manifestPathFor, type Shard } from './plan-pipeline.js';

/**
 * The run's watermarks when a source of the pipeline is incremental, else undefined. The state
 * file lies beside the manifest (the same place `planPipeline` puts it), one per shard.
 */
export async function incrementalRunFor(
  project: Project,
  options: { shard?: Shard | undefined; fullRefresh?: boolean | undefined; logger?: Logger | undefined },
): Promise<IncrementalRun | undefined> {
  if (!Object.values(project.sources).some((s) => s.incremental !== undefined)) return undefined;
  const manifestPath = manifestPathFor(project, options.shard);
  return IncrementalRun.open({
    pipeline: project.pipeline.name,
    statePath: incrementalStatePath(manifestPath),
    fullRefresh: options.fullRefresh,
    sharded: options.shard !== undefined,
    logger: options.logger,
  });
}
