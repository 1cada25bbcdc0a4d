import { SluiceError } from '../core/errors.js';
import type { EventOf, IdentityFacts } from '../core/events.js';
import { planIncremental } from '../incremental/plan-incremental.js';
import { authorizeSource } from '../proxy/authorize-source.js';
import { authorizeWrite } from '../proxy/authorize-write.js';
import { incrementalRunFor } from './incremental-run-for.js';
import { newRunId, prepareRun, type RunPipelineOptions } from './run-pipeline.js';

export interface SourceAccessPlan {
  name: string;
  connection: string;
  verdict: 'allow' | 'deny' | 'approval_required';
  reasons: { rule: string; message: string }[];
  relations: string[];
  columns: string[];
  row_filters: { relation: string; predicate: string }[];
  row_limit?: number;
  /** Per output column: what the policy requires and what the pipeline requests. */
  masks: {
    column: string;
    requested?: { mask: string; key_id?: string };
    mandatory?: { classes: string[]; satisfied_by: string[]; satisfied: boolean };
  }[];
  /** Set when the request could not be decided (e.g. an approval is pending). */
  error?: { code: string; message: string };
}

/** What the policy would decide for one output that writes a table. */
export interface WriteAccessPlan {
  output: string;
  connection: string;
  /** `schema.table`. */
  table: string;
  mode: string;
  verdict: 'allow' | 'deny' | 'approval_required';
  reasons: { rule: string; message: string }[];
}

export interface AccessPlan {
  pipeline: string;
  identity: IdentityFacts;
  purpose: string;
  policy_version: string;
  verdict: 'allow' | 'deny' | 'approval_required';
  sources: SourceAccessPlan[];
  /** Outputs that write tables; absent when there are none. */
  writes?: WriteAccessPlan[];
}

/**
 * What the proxy would decide for each source of a pipeline, without connecting to any source or
 * reading data: identity, verdict with reasons, relations and columns read, and the mandatory and
 * requested masks per output column. Decisions are audited like those of a run.
 */
export async function planAccess(options: RunPipelineOptions): Promise<AccessPlan> {
  const run = await prepareRun(options, newRunId());
  try {
    const { project, access, events } = run;
    const sources: SourceAccessPlan[] = [];
    // An incremental source is decided on the wrapped query the run would send, as in a run.
    const incrementalRun = await incrementalRunFor(project, options);
    for (const [name, spec] of Object.entries(project.sources)) {
      const connection = project.config.connections[spec.connection] as { type: string };
      const incremental = planIncremental(incrementalRun, {
        name,
        connection: spec.connection,
        connectionType: connection.type,
        definition: options.registry.get('connection', connection.type),
        spec,
      });
      let decision: EventOf<'decision'> | undefined;
      const off = events.on((e) => {
        if (e.type === 'decision' && e.source === name) decision = e;
      });
      let error: SourceAccessPlan['error'];
      try {
        await authorizeSource(
          {
            source: name,
            connection: spec.connection,
            connectionType: connection.type,
            spec: incremental
              ? { query: incremental.query.sql }
              : { query: spec.query, table: spec.table, columns: spec.columns },
            masks: project.transforms[name] ?? {},
          },
          access,
          options.registry,
          events,
        );
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        error = { code: err.code, message: err.message };
      } finally {
        off();
      }
      if (!decision)
        throw error
          ? new SluiceError('INTERNAL', error.message)
          : new SluiceError('INTERNAL', `No decision for source \`${name}\`.`);
      const requested = project.transforms[name] ?? {};
      const mandatory = new Map((decision.mandatory ?? []).map((m) => [m.column, m]));
      const columns = [...new Set([...Object.keys(requested), ...mandatory.keys()])];
      sources.push({
        name,
        connection: spec.connection,
        verdict: decision.verdict,
        reasons: decision.reasons,
        relations: decision.relations,
        columns: decision.columns,
        row_filters: decision.row_filters,
        ...(decision.row_limit === undefined ? {} : { row_limit: decision.row_limit }),
        masks: columns.map((column) => {
          const r = requested[column];
          const m = mandatory.get(column);
          return {
            column,
            ...(r
              ? { requested: { mask: r.mask, ...(r.key_id === undefined ? {} : { key_id: r.key_id }) } }
              : {}),
            ...(m
              ? { mandatory: { classes: m.classes, satisfied_by: m.satisfied_by, satisfied: m.satisfied } }
              : {}),
          };
        }),
        ...(error && decision.verdict === 'allow' ? { error } : {}),
      });
    }
    const writes: WriteAccessPlan[] = [];
    for (const [i, config] of project.pipeline.outputs.entries()) {
      const target = options.registry.get('output', config.format).target?.(config);
      if (!target) continue;
      const output = config.source === undefined ? `outputs[${i}]` : `outputs[${i}] (${config.source})`;
      const connectionType = (project.config.connections[target.connection] as { type: string }).type;
      // Nothing is described here, so the output's columns are unknown: decide, look up no approval.
      const { decision } = await authorizeWrite(
        { output, connectionType, ...target, planOnly: true },
        access,
        events,
      );
      writes.push({
        output,
        connection: target.connection,
        table: decision?.table ?? target.table,
        mode: target.mode,
        verdict: decision?.verdict ?? 'allow',
        reasons: decision?.reasons ?? [],
      });
    }
    await run.trail.flush();
    const verdicts = [...sources.map((s) => s.verdict), ...writes.map((w) => w.verdict)];
    return {
      pipeline: project.pipelineFile.path,
      identity: access.identity,
      purpose: access.purpose,
      policy_version: access.policy?.version ?? 'none',
      verdict: verdicts.includes('deny')
        ? 'deny'
        : verdicts.includes('approval_required')
          ? 'approval_required'
          : 'allow',
      sources,
      ...(writes.length > 0 ? { writes } : {}),
    };
  } finally {
    await run.dispose();
  }
}
