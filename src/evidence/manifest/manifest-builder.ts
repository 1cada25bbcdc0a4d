import { relative, sep } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import type { ColumnFacts, EventOf, OutputFileFacts, SluiceEvent } from '../../core/events.js';
import type { RelationRef } from '../../guard/statement-facts.js';
import { analyzeQuery, type QueryAnalysis, relationName } from './analyze-query.js';
import { datasetDigest } from './dataset-digest.js';
import {
  type Approval,
  type ColumnLineage,
  DATASET_DIGEST_ALGORITHM,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestMask,
  type ManifestOutput,
  type ManifestSource,
  type OutputColumn,
} from './manifest-schema.js';

export interface FinishManifestOptions {
  /** Directory the manifest is written to; every path in it is made relative to this. */
  manifestDir: string;
  finishedAt: Date;
  /** Default `succeeded`. */
  status?: Manifest['run']['status'];
  /** Head of the audit chain once the run's records were appended. */
  audit?: { head: string; records?: number };
  /** Set when the run extracted one shard of a sharded dataset. */
  shard?: { index: number; count: number };
}

/** Parameter names that would hold key material; dropped even if a mask forgot to. */
const SECRET_PARAMS = new Set(['key', 'secret', 'key_material', 'password', 'salt_value']);

interface SourceState {
  name: string;
  connection: string;
  connectionType: string;
  query: string;
  snapshot: Record<string, unknown> | null;
  schema: ColumnFacts[];
  rows: number;
  bytes: number;
  durationMs: number;
  masks: ManifestMask[];
  incremental?: ManifestSource['incremental'];
}

/**
 * Builds the manifest from a run's events only: whatever the manifest states was observed and
 * emitted by the component that did it. Query fingerprints, relations and lineage are derived
 * from the query texts the events carry.
 */
export class ManifestBuilder {
  #started: EventOf<'run_started'> | undefined;
  readonly #sources = new Map<string, SourceState>();
  #select: EventOf<'select_executed'> | undefined;
  readonly #outputs: EventOf<'output_committed'>[] = [];
  /** Evidence of the output stages, by output name. */
  readonly #stages = new Map<
    string,
    {
      dropped: Map<string, { stage: string; reason: string; rows: number }>;
      split?: EventOf<'split_assigned'>;
      profile?: EventOf<'profile'>;
      gate?: EventOf<'release_gate'>;
    }
  >();

  #stageEvidence(output: string): Partial<ManifestOutput> {
    const s = this.#stages.get(output);
    if (!s) return {};
    const { gate, split, profile } = s;
    return {
      ...(s.dropped.size > 0 ? { dropped: [...s.dropped.values()] } : {}),
      ...(split
        ? {
            split: {
              column: split.column,
              ...(split.key_id === undefined ? {} : { key_id: split.key_id }),
              parts: split.parts,
            },
          }
        : {}),
      ...(profile ? { profile: profile.columns } : {}),
      ...(gate
        ? {
            release_gate: {
              verdict: gate.verdict,
              rows: gate.rows,
              pii: gate.pii,
              ...(gate.k_anonymity ? { k_anonymity: gate.k_anonymity } : {}),
              thresholds: gate.thresholds,
              reasons: gate.reasons,
            },
          }
        : {}),
    };
  }

  #stage(output: string) {
    let s = this.#stages.get(output);
    if (!s) {
      s = { dropped: new Map() };
      this.#stages.set(output, s);
    }
    return s;
  }
  #policy: { path: string; sha256: string } | undefined;
  readonly #approvals = new Map<string, Approval>();

  readonly listener = (event: SluiceEvent): void => {
    switch (event.type) {
      case 'run_started':
        this.#started = event;
        break;
      case 'source_opened': {
        const s = this.#source(event.source);
        s.connection = event.connection;
        s.connectionType = event.connection_type;
        s.query = event.query;
        if (event.snapshot) s.snapshot = event.snapshot;
        break;
      }
      case 'source_schema':
        this.#source(event.source).schema = event.columns;
        break;
      case 'source_watermark':
        this.#source(event.source).incremental = {
          column: event.column,
          ...optional({ tiebreaker: event.tiebreaker }),
          mode: event.mode,
          ...optional({ reason: event.reason }),
          from: event.from,
          to: event.to,
        };
        break;
      case 'source_finished': {
        const s = this.#source(event.source);
        s.rows = event.rows;
        s.bytes = event.bytes;
        s.durationMs = event.duration_ms;
        if (event.snapshot) s.snapshot = event.snapshot;
        break;
      }
      case 'mask_applied':
        this.#source(event.source).masks.push(appliedMask(event));
        break;
      case 'select_executed':
        this.#select = event;
        break;
      case 'rows_dropped': {
        const dropped = this.#stage(event.output).dropped;
        const key = `${event.stage}\u0000${event.reason}`;
        const entry = dropped.get(key) ?? { stage: event.stage, reason: event.reason, rows: 0 };
        entry.rows += event.rows;
        dropped.set(key, entry);
        break;
      }
      case 'split_assigned':
        this.#stage(event.output).split = event;
        break;
      case 'profile':
        this.#stage(event.output).profile = event;
        break;
      case 'release_gate':
        this.#stage(event.output).gate = event;
        break;
      case 'output_committed':
        this.#outputs.push(event);
        break;
      case 'decision':
        // `none`: the config names no policy file.
        if (event.policy_version !== 'none' && /^[0-9a-f]{64}$/.test(event.policy_version))
          this.#policy = { path: event.policy_path ?? '', sha256: event.policy_version };
        break;
      case 'remote_decision':
        // A run that reads through a proxy is authorised by the proxy's policy; a local policy wins.
        if (this.#policy === undefined && /^[0-9a-f]{64}$/.test(event.policy_version))
          this.#policy = {
            path: `${event.proxy}/${event.policy_path ?? 'policy'}`,
            sha256: event.policy_version,
          };
        break;
      case 'approval_used':
        this.#approvals.set(event.approval_id, {
          id: event.approval_id,
          approver: event.approver,
          approved_at: event.approved_at,
          ...optional({
            expires_at: event.expires_at,
            source: event.source,
            output: event.output,
            reason: event.reason,
          }),
        });
        break;
      default:
        break;
    }
  };

  #source(name: string): SourceState {
    let s = this.#sources.get(name);
    if (!s) {
      s = {
        name,
        connection: '',
        connectionType: '',
        query: '',
        snapshot: null,
        schema: [],
        rows: 0,
        bytes: 0,
        durationMs: 0,
        masks: [],
      };
      this.#sources.set(name, s);
    }
    return s;
  }

  /**
   * The manifest (format {@link MANIFEST_VERSION}) of the run so far.
   *
   * @example const manifest = await builder.finish({ manifestDir: dirname(path), finishedAt: new Date() });
   */
  async finish(options: FinishManifestOptions): Promise<Manifest> {
    const started = this.#started;
    if (!started) throw new SluiceError('INTERNAL', 'The manifest cannot be built: the run never started.');
    const rel = (p: string) => toManifestPath(options.manifestDir, p);
    const sourceStates = [...this.#sources.values()];
    const analyses = new Map<string, QueryAnalysis>();
    for (const s of sourceStates) analyses.set(s.name, await analyzeQuery(s.query));
    const sources: ManifestSource[] = sourceStates.map((s) => {
      const a = analyses.get(s.name) as QueryAnalysis;
      return {
        name: s.name,
        connection: { name: s.connection, type: s.connectionType },
        query: s.query,
        query_sha256: a.sha256,
        query_fingerprint: a.fingerprint,
        relations: a.relations,
        columns_read: a.columnsRead,
        snapshot: s.snapshot,
        rows: s.rows,
        bytes: s.bytes,
        duration_ms: s.durationMs,
        schema: s.schema,
        masks: s.masks,
        ...(s.incremental === undefined ? {} : { incremental: s.incremental }),
      };
    });

    const lineageOf = (source: string, column: string): ColumnLineage => ({
      source,
      column,
      upstream: upstreamOf(this.#sources.get(source), analyses.get(source), column),
    });
    const masksOf = (lineage: ColumnLineage[]) =>
      lineage.flatMap((l) =>
        (this.#sources.get(l.source)?.masks ?? [])
          .filter((m) => m.column === l.column || l.column === '*')
          .map((m) => ({ ...m, source: l.source })),
      );

    let selectAnalysis: QueryAnalysis | undefined;
    if (this.#select) {
      const names = new Map(sourceStates.map((s) => [s.name.toLowerCase(), s]));
      selectAnalysis = await analyzeQuery(this.#select.query, {
        columnsOf: (r: RelationRef) =>
          r.schema === undefined ? names.get(r.name.toLowerCase())?.schema.map((c) => c.name) : undefined,
      });
    }

    const outputs: ManifestOutput[] = this.#outputs.map((o) => {
      const files = o.files.map((f: OutputFileFacts) => ({ ...f, path: rel(f.path) }));
      const direct = this.#select
        ? undefined
        : (o.source ?? (sourceStates.length === 1 ? sourceStates[0]?.name : undefined));
      const columns: OutputColumn[] = o.columns.map((c) => {
        if (direct !== undefined) {
          const lineage = [lineageOf(direct, c.name)];
          return { name: c.name, lineage, derived: false, lineage_complete: true, masks: masksOf(lineage) };
        }
        const traced = selectAnalysis?.lineage?.find((l) => l.output === c.name);
        if (!traced) return { name: c.name, lineage: [], derived: true, lineage_complete: false, masks: [] };
        const lineage = traced.sources.map((s) =>
          lineageOf(sourceNameOf(s.relation, sourceStates), s.column),
        );
        const known = traced.sources.every((s) => this.#sources.has(sourceNameOf(s.relation, sourceStates)));
        return {
          name: c.name,
          lineage,
          derived: traced.derived,
          lineage_complete: known && !traced.undetermined && !traced.star,
          masks: masksOf(lineage),
        };
      });
      return {
        name: o.output,
        format: o.format,
        ...(o.path === undefined ? {} : { path: rel(o.path) }),
        ...(o.table
          ? {
              connection: o.table.connection,
              table: o.table.table,
              mode: o.table.mode,
              sha256: o.table.sha256,
              digest_algorithm: o.table.digest_algorithm,
            }
          : {}),
        ...(o.approval_id === undefined ? {} : { approval_id: o.approval_id }),
        ...(direct === undefined ? {} : { source: direct }),
        rows: o.rows,
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        schema: o.columns,
        files,
        digest: datasetDigest(files),
        columns,
        ...this.#stageEvidence(o.output),
      };
    });

    const allFiles = outputs.flatMap((o) => o.files);
    const pipeline = started.pipeline;
    return {
      manifest_version: MANIFEST_VERSION,
      run: {
        id: started.run_id,
        pipeline: {
          name: pipeline.name,
          path: rel(pipeline.path),
          sha256: pipeline.sha256,
          ...optional({ owner: pipeline.owner }),
        },
        sluice_version: started.sluice_version,
        started_at: started.ts,
        finished_at: options.finishedAt.toISOString(),
        duration_ms: Math.max(0, options.finishedAt.getTime() - new Date(started.ts).getTime()),
        status: options.status ?? 'succeeded',
        host: started.host,
        ...(options.shard ? { shard: options.shard } : {}),
      },
      identity: started.identity,
      purpose: pipeline.purpose ?? null,
      ...(this.#policy
        ? { policy: { path: this.#policy.path && rel(this.#policy.path), sha256: this.#policy.sha256 } }
        : {}),
      approvals: [...this.#approvals.values()],
      sources,
      ...(this.#select && selectAnalysis
        ? {
            select: {
              query: this.#select.query,
              query_sha256: selectAnalysis.sha256,
              query_fingerprint: selectAnalysis.fingerprint,
              schema: this.#select.columns,
            },
          }
        : {}),
      outputs,
      dataset: {
        digest_algorithm: DATASET_DIGEST_ALGORITHM,
        digest: datasetDigest(allFiles),
        files: allFiles.length,
        bytes: allFiles.reduce((n, f) => n + f.bytes, 0),
        rows: outputs.reduce((n, o) => n + o.rows, 0),
      },
      ...(options.audit ? { audit: options.audit } : {}),
    };
  }
}

/** A path as the manifest records it: relative to the manifest's directory, `/`-separated. */
export function toManifestPath(manifestDir: string, path: string): string {
  return relative(manifestDir, path).split(sep).join('/');
}

/** The pipeline source a relation of the `select` names (sources are loaded as tables by name). */
function sourceNameOf(relation: RelationRef, sources: SourceState[]): string {
  const match = sources.find((s) => s.name.toLowerCase() === relation.name.toLowerCase());
  return match?.name ?? relation.name;
}

function upstreamOf(
  source: SourceState | undefined,
  analysis: QueryAnalysis | undefined,
  column: string,
): ColumnLineage['upstream'] {
  if (!source || !analysis?.lineage) return [];
  const traced = analysis.lineage.find((l) => l.output === column);
  if (!traced) return [];
  return traced.sources.map((s) => ({
    connection: source.connection,
    relation: relationName(s.relation),
    column: s.column,
  }));
}

/** A mask as it was applied to a source, as the manifest and the proxy's `sluice-masks` trailer record it. */
export function appliedMask(event: EventOf<'mask_applied'>): ManifestMask {
  return {
    column: event.column,
    mask: event.mask,
    ...(event.key_id === undefined ? {} : { key_id: event.key_id }),
    params: withoutSecrets(event.params),
    origin: event.origin,
    rows: event.rows,
    nulls: event.nulls,
  };
}

/** Mask parameters without key material or other secrets (for evidence and the proxy's trailer). */
export function withoutSecrets(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !SECRET_PARAMS.has(k.toLowerCase())));
}

function optional<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
