import type { Logger } from '../core/logger.js';
import { IncrementalSource, type IncrementalSourceOptions } from './incremental-source.js';
import {
  type IncrementalState,
  readIncrementalState,
  type SourceWatermarkState,
  writeIncrementalState,
} from './incremental-state.js';

export interface IncrementalRunOptions {
  /** The pipeline's `name`. */
  pipeline: string;
  /** Where the watermarks of this pipeline (and shard) are kept: see `incrementalStatePath`. */
  statePath: string;
  /** `pipeline run --full-refresh`: ignore the stored watermarks and read every row. */
  fullRefresh?: boolean | undefined;
  sharded?: boolean | undefined;
  logger?: Logger | undefined;
}

/**
 * The watermarks of one run: read from the state file when the run starts, committed to it only
 * after the run's outputs and manifest are, so a failed or interrupted run leaves them unchanged.
 */
export class IncrementalRun {
  readonly statePath: string;
  readonly #options: IncrementalRunOptions;
  readonly #previous: IncrementalState | undefined;
  readonly #sources = new Map<string, IncrementalSource>();

  private constructor(options: IncrementalRunOptions, previous: IncrementalState | undefined) {
    this.#options = options;
    this.statePath = options.statePath;
    this.#previous = previous;
  }

  static async open(options: IncrementalRunOptions): Promise<IncrementalRun> {
    const previous = options.fullRefresh ? undefined : await readIncrementalState(options.statePath);
    if (previous && previous.pipeline !== options.pipeline) {
      // A state file written by another pipeline does not apply to this one.
      options.logger?.warn(
        `The incremental state file \`${options.statePath}\` belongs to pipeline \`${previous.pipeline}\`, not \`${options.pipeline}\`; reading every row. Give each pipeline its own manifest path.`,
      );
      return new IncrementalRun(options, undefined);
    }
    return new IncrementalRun(options, previous);
  }

  /** Plans one incremental source against the committed state. */
  source(args: Omit<IncrementalSourceOptions, 'previous' | 'fullRefresh'>): IncrementalSource {
    const source = new IncrementalSource({
      ...args,
      previous: this.#previous?.sources[args.name],
      fullRefresh: this.#options.fullRefresh,
      sharded: this.#options.sharded,
      logger: this.#options.logger,
    });
    this.#sources.set(args.name, source);
    return source;
  }

  /**
   * Writes the watermark each source read up to, atomically. Call it once the outputs and the
   * manifest are committed. A source not read to its end keeps its previous watermark.
   */
  async commit(runId: string, now = new Date()): Promise<void> {
    if (this.#sources.size === 0) return;
    const sources: Record<string, SourceWatermarkState> = {};
    for (const [name, source] of this.#sources) {
      const state = source.committed(runId, now.toISOString());
      const previous = this.#previous?.sources[name];
      if (state) sources[name] = state;
      else if (previous && previous.fingerprint === source.fingerprint) sources[name] = previous;
    }
    await writeIncrementalState(
      this.statePath,
      { version: 1, pipeline: this.#options.pipeline, sources },
      runId,
    );
  }
}
