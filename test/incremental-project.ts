import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SluiceEvent } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import { runPipeline } from '../src/main.js';

/** A throwaway project: one connection, one pipeline writing JSONL, the local identity. */
export interface IncrementalProject {
  dir: string;
  pipeline: string;
  statePath: string;
  /** Rewrites the pipeline with this `sources:` block (YAML, indented by two). */
  write(sources: string, extra?: string): Promise<void>;
  /** Runs the pipeline; returns the rows written, the events and the warnings logged. */
  run(options?: {
    fullRefresh?: boolean;
    signal?: AbortSignal;
    onEvent?: (e: SluiceEvent) => void;
  }): Promise<{
    rows: Record<string, unknown>[];
    events: SluiceEvent[];
    warnings: string[];
    manifest: { sources: { name: string; incremental?: Record<string, unknown> }[] };
  }>;
  state(): Promise<string | undefined>;
}

export async function incrementalProject(
  connection: string,
  env: Record<string, string> = {},
): Promise<IncrementalProject> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-incremental-'));
  await mkdir(join(dir, 'pipelines'), { recursive: true });
  await writeFile(
    join(dir, 'sluice.yaml'),
    `version: 1
connections:
  db: ${connection}
identity:
  authenticators:
    - type: local
      enabled: true
`,
  );
  const pipeline = join(dir, 'pipelines/events.yaml');
  const statePath = join(dir, 'out/.manifest.incremental.json');
  const project: IncrementalProject = {
    dir,
    pipeline,
    statePath,
    async write(sources, extra = '') {
      await writeFile(
        pipeline,
        `version: 1
name: events-incremental
purpose: analytics
sources:
${sources}
${extra}
outputs:
  - { path: ../out/events.jsonl, format: jsonl }
`,
      );
    },
    async run(options = {}) {
      const events: SluiceEvent[] = [];
      const warnings: string[] = [];
      const logger: Logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: (m) => warnings.push(m),
        error: () => undefined,
      };
      await runPipeline({
        pipeline,
        env: { ...process.env, ...env },
        logger,
        ...(options.fullRefresh ? { fullRefresh: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (e) => {
          events.push(e);
          options.onEvent?.(e);
        },
      });
      const text = await readFile(join(dir, 'out/events.jsonl'), 'utf8');
      const rows = text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const manifest = JSON.parse(await readFile(join(dir, 'out/manifest.json'), 'utf8'));
      return { rows, events, warnings, manifest };
    },
    async state() {
      return readFile(statePath, 'utf8').catch(() => undefined);
    },
  };
  return project;
}
