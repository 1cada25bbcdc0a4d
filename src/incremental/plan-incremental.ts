import type { AnyConnectionDefinition } from '../core/component-definition.js';
import { sourceQuery } from '../core/source-query.js';
import type { IncrementalRun } from './incremental-run.js';
import type { IncrementalConfig } from './incremental-schema.js';
import { IncrementalSource } from './incremental-source.js';

/**
 * The incremental plan of one source: against the run's committed watermarks, or (without a run:
 * validating, planning) as a full read, which has the same columns.
 */
export function planIncremental(
  run: IncrementalRun | undefined,
  source: {
    name: string;
    connection: string;
    connectionType: string;
    definition: AnyConnectionDefinition;
    spec: {
      query?: string | undefined;
      table?: string | undefined;
      columns?: string[] | undefined;
      incremental?: IncrementalConfig | undefined;
    };
  },
): IncrementalSource | undefined {
  const config = source.spec.incremental;
  if (config === undefined) return undefined;
  const args = {
    name: source.name,
    connection: source.connection,
    connectionType: source.connectionType,
    definition: source.definition,
    config,
    query: sourceQuery({ name: source.name, ...source.spec }),
  };
  return run ? run.source(args) : new IncrementalSource(args);
}
