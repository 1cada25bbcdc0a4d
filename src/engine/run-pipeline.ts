import { randomBytes } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { openApprovalGate } from '../approvals/open-approval-gate.js';
import { loadProjectParts, type PartialProject, type Project } from '../config/load-project.js';
import { batchBytes, schemaColumns } from '../core/arrow-util.js';
import { removeQuietly } from '../core/atomic-file.js';
import type { ComponentContext } from '../core/context.js';
import { ConfigError, SluiceError, throwIfAborted, toSluiceError } from '../core/errors.js';
import { EventBus, type EventListener, type IdentityFacts, type OutputFileFacts } from '../core/events.js';
import { fileSha256 } from '../core/file-sha256.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { Registry } from '../core/registry.js';
import { createSecretResolver } from '../core/secrets.js';
import type { Sink, StagedFile } from '../core/sink.js';
import type { SqlEngine } from '../core/sql-engine.js';
import { toOpenLineage } from '../evidence/exporters/openlineage-export.js';
import { postOpenLineage } from '../evidence/exporters/post-openlineage.js';
import { ManifestBuilder } from '../evidence/manifest/manifest-builder.js';
import type { Manifest } from '../evidence/manifest/manifest-schema.js';
import { envelopePathFor } from '../evidence/manifest/sign-manifest.js';
import { writeManifest } from '../evidence/manifest/write-manifest.js';
import { loadSigningKey } from '../evidence/signing.js';
import { warmSqlParser } from '../guard/parse-sql.js';
import type { AuthenticationListener } from '../identity/authentication-event.js';
import { createAuthenticators } from '../identity/create-authenticators.js';
import { identityFacts } from '../identity/identity.js';
import { resolveIdentity } from '../identity/resolve-identity.js';
import { writeDatasetCards } from '../outputs/dataset-card.js';
import { createOutputSink } from '../outputs/output-sink.js';
import { loadPolicy } from '../policy/load-policy.js';
import type { AccessRequest } from '../proxy/authorize-source.js';
import { createKeyRing } from '../transforms/key-ring.js';
import { SLUICE_VERSION } from '../version.js';
import { AuditTrail } from './audit-trail.js';
import { incrementalRunFor } from './incremental-run-for.js';
import {
  type Plan,
  type PlannedOutput,
  type PlannedSource,
  planPipeline,
  planSources,
  type Shard,
} from './plan-pipeline.js';
import { readAhead } from './read-ahead.js';
import { acquireRunLock } from './run-lock.js';

export interface RunPipelineOptions {
  /** Path of the pipeline YAML. */
  pipeline: string;
  /** Path of the config file; default: `SLUICE_CONFIG`, else the nearest `sluice.yaml`. */
  config?: string | undefined;
  /** Connections, outputs, masks and the SQL engine. */
  registry: Registry;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Receives every event of the run (progress, evidence). */
  onEvent?: EventListener | undefined;
  /** The identity the run is attributed to; default: resolved by the config's authenticators. */
  identity?: IdentityFacts | undefined;
  /** File holding the caller's credential (else `SLUICE_TOKEN`, else the config's default). */
  tokenFile?: string | undefined;
  /** Extract one hash partition of every source (`--shard K/N`); outputs and manifest get a `-K-of-N` suffix. */
  shard?: Shard | undefined;
  /** Batches read ahead of the writers per stream. */
  readAheadBatches?: number | undefined;
  /** Ignore the committed watermarks of incremental sources and read every row (`--full-refresh`). */
  fullRefresh?: boolean | undefined;
}

export interface RunResult {
  status: 'succeeded';
  run_id: string;
  outputs: {
    /** Absent for a table output. */
    path?: string;
    /** A table output: where it was written. */
    table?: { connection: string; table: string; mode: string };
    format: string;
    rows: number;
    files: OutputFileFacts[];
  }[];
  manifest: string;
  /** The hash-chained audit log this run appended to. */
  audit_log: string;
  duration_ms: number;
}

export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

/**
 * Who is running: authenticated by the config's `identity.authenticators`. Fails closed: a config
 * without authenticators, or a credential that does not verify, gets no data.
 */
export async function authenticate(
  project: Pick<PartialProject, 'config' | 'configFile' | 'configDir'>,
  options: Pick<RunPipelineOptions, 'identity' | 'env' | 'tokenFile' | 'signal'>,
  onAuthentication?: AuthenticationListener,
): Promise<IdentityFacts> {
  if (options.identity) return options.identity;
  const identity = project.config.identity;
  if (!identity) {
    throw new SluiceError(
      'AUTH_FAILED',
      `The config file \`${project.configFile.path}\` defines no \`identity.authenticators\`, so no caller can be authenticated. Add an authenticator (\`oidc\`, \`token\`, or \`local\` for demos).`,
      { context: { reason: 'no_authenticator' } },
    );
  }
  const authenticators = createAuthenticators(identity, { baseDir: project.configDir });
  const resolved = await resolveIdentity({
    authenticators,
    env: options.env ?? process.env,
    baseDir: project.configDir,
    ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }),
    ...(identity.default_credential === undefined ? {} : { defaultCredential: identity.default_credential }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(onAuthentication === undefined ? {} : { onAuthentication }),
  });
  return identityFacts(resolved);
}

/** Everything a run needs that does not depend on which command started it. */
export interface RunEnvironment {
  project: Project;
  events: EventBus;
  contexts: { connection: ComponentContext; pipeline: ComponentContext };
  tempDir: string;
  trail: AuditTrail;
  access: AccessRequest;
  dispose(): Promise<void>;
}

/**
 * Loads and validates the project, opens the audit log, loads the policy and authenticates the
 * caller: everything before the first source is touched. Throws a ConfigError listing every
 * problem (including those found by reading the schemas of the sources that are valid).
 */
export async function prepareRun(
  options: RunPipelineOptions,
  runId: string,
  /** The run will write its outputs: let their writers start setting up as soon as they are known. */
  warmOutputs = false,
): Promise<RunEnvironment> {
  const env = options.env ?? process.env;
  const loaded = await loadProjectParts({
    pipelinePath: options.pipeline,
    configPath: options.config,
    registry: options.registry,
    env,
  });
  const known = loaded.project ?? loaded.partial;
  if (!known) throw new ConfigError(loaded.issues);
  const pipeline = loaded.project?.pipeline;
  // Batches go to the outputs' own writers (a `select` is written by the SQL engine): let them set
  // up while the run authenticates and plans.
  if (warmOutputs && pipeline && pipeline.select === undefined) {
    for (const output of pipeline.outputs)
      options.registry.get('output', output.format).warm?.(output as never);
  }
  const events = new EventBus(runId);
  if (options.onEvent) events.on(options.onEvent);
  const logger = options.logger ?? createLogger();
  const tempDir = await mkdtemp(join(tmpdir(), `sluice-${runId}-`));
  let trail: AuditTrail | undefined;
  const dispose = async () => {
    await trail?.close();
    await removeQuietly(tempDir);
  };
  try {
    const secrets = createSecretResolver(known.configDir, env);
    const keys = createKeyRing(known.config.keys, secrets);
    const base = { runId, events, logger, secrets, keys, tempDir };
    const contexts = {
      connection: { ...base, baseDir: known.configDir },
      pipeline: { ...base, baseDir: known.pipelineDir },
    };
    const policy = known.config.policy
      ? await loadPolicy(resolve(known.configDir, known.config.policy), {
          masks: options.registry.list('mask').map((m) => m.type),
        })
      : undefined;
    const openedTrail = await AuditTrail.open(resolve(known.configDir, known.config.audit.path));
    trail = openedTrail;
    events.on(openedTrail.listener);
    // No identity, no data: authenticate before any connection is opened.
    let identity: IdentityFacts;
    try {
      identity = await authenticate(known, options, (e) => openedTrail.authentication(e, runId));
    } finally {
      await openedTrail.flush();
    }
    const purpose = loaded.project?.pipeline.purpose ?? known.purpose;
    const access: AccessRequest | undefined =
      purpose === undefined
        ? undefined
        : {
            identity,
            purpose,
            policy,
            approvals: openApprovalGate({
              config: known.config,
              configDir: known.configDir,
              pipelineSha256: known.pipelineFile.sha256,
              record: (event) => openedTrail.record(event),
              warn: (message) => logger.warn(message),
              env,
            }),
          };
    if (!loaded.project || !access) {
      // Keep validating what is valid on its own, so every problem is reported in one pass.
      const more = await planSources(
        known,
        options.registry,
        contexts,
        undefined,
        options.signal ?? new AbortController().signal,
      );
      await Promise.all(more.sources.map((s) => s.source.close().catch(() => undefined)));
      throw new ConfigError([...loaded.issues, ...more.issues]);
    }
    return { project: loaded.project, events, tempDir, contexts, trail: openedTrail, access, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/**
 * Runs a pipeline: validates it, extracts each source through its masks, optionally runs the
 * `select`, writes every output atomically and then the manifest. A failed or interrupted run
 * leaves no output that looks complete.
 *
 * @example
 * const result = await runPipeline({ pipeline: 'pipelines/demo.yaml', registry: createRegistry() });
 * console.log(result.manifest);
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunResult> {
  const started = Date.now();
  warmSqlParser(); // compiles while the project loads; every source's query is parsed next
  const runId = newRunId();
  const signal = options.signal ?? new AbortController().signal;
  const run = await prepareRun(options, runId, true);
  const { project, events, contexts, trail } = run;
  const manifestBuilder = new ManifestBuilder();
  events.on(manifestBuilder.listener);

  let engine: SqlEngine | undefined;
  let plan: Plan | undefined;
  let sinks: Sink[] = [];
  let releaseLock: (() => Promise<void>) | undefined;
  let rowsWritten = 0;
  try {
    const identity = run.access.identity;
    const signingRef = project.config.manifest.signing_key;
    const signingKey = signingRef
      ? await loadSigningKey(signingRef, { baseDir: project.configDir, env: options.env ?? process.env })
      : undefined;
    if (project.pipeline.select !== undefined)
      engine = await options.registry.sqlEngine()({ dir: join(run.tempDir, 'engine') });
    const incremental = await incrementalRunFor(project, {
      shard: options.shard,
      fullRefresh: options.fullRefresh,
      logger: contexts.pipeline.logger,
    });
    plan = await planPipeline(
      project,
      options.registry,
      contexts,
      run.access,
      engine,
      signal,
      options.shard,
      incremental,
    );
    releaseLock = await acquireRunLock(plan.manifestPath, [
      ...plan.outputs.flatMap((o) => (o.path === undefined ? [] : [dirname(o.path)])),
      dirname(plan.manifestPath),
    ]);
    events.emit({
      type: 'run_started',
      pipeline: {
        name: project.pipeline.name,
        path: project.pipelineFile.path,
        sha256: project.pipelineFile.sha256,
        purpose: project.pipeline.purpose,
        ...(project.pipeline.owner === undefined ? {} : { owner: project.pipeline.owner }),
      },
      identity,
      sluice_version: SLUICE_VERSION,
      host: hostname(),
    });

    await trail.flush(); // the start of the run is on the audit log before any row is read
    const gate = run.access.policy?.policy.release_gate;
    sinks = plan.outputs.map((o) => createOutputSink(o, contexts.pipeline, events, gate));
    const staged = await writeOutputs(plan, sinks, engine, events, signal, options.readAheadBatches ?? 2);
    throwIfAborted(signal);

    // Hash the staged files before anything becomes visible, so the manifest describes exactly them.
    const facts = await Promise.all(staged.map((files) => Promise.all(files.map(stagedFacts))));
    const tables = sinks.map((sink) => sink.stagedTable?.());
    await trail.flush();
    // Never leave an old manifest (or its signature) beside new files.
    await removeQuietly(plan.manifestPath);
    await removeQuietly(envelopePathFor(plan.manifestPath));
    for (const sink of sinks) await sink.commit();
    const outputs = plan.outputs.map((o, i) => {
      const files = facts[i] ?? [];
      const staged = tables[i];
      const rows = staged ? staged.rows : files.reduce((n, f) => n + f.rows, 0);
      rowsWritten += rows;
      const table =
        o.table && staged
          ? { connection: o.table.connection, table: o.table.table, mode: o.table.mode }
          : undefined;
      events.emit({
        type: 'output_committed',
        output: o.name,
        format: o.config.format,
        ...(o.path === undefined ? {} : { path: o.path }),
        ...(table && staged
          ? { table: { ...table, sha256: staged.sha256, digest_algorithm: staged.digest_algorithm } }
          : {}),
        rows,
        files,
        columns: schemaColumns(streamSchema(plan as Plan, o)),
        ...(plan?.select ? {} : { source: o.config.source ?? plan?.sources[0]?.name ?? '' }),
        ...(o.table?.approvalId === undefined ? {} : { approval_id: o.table.approvalId }),
      });
      return {
        ...(o.path === undefined ? {} : { path: o.path }),
        ...(table ? { table } : {}),
        format: o.config.format,
        rows,
        files,
      };
    });
    await trail.flush();
    const head = trail.head();
    const manifest = await manifestBuilder.finish({
      manifestDir: dirname(plan.manifestPath),
      finishedAt: new Date(),
      ...(head === null ? {} : { audit: { head } }),
      ...(options.shard ? { shard: options.shard } : {}),
    });
    const written = await writeManifest(plan.manifestPath, manifest, {
      runId,
      ...(signingKey ? { signingKey } : {}),
    });
    // Watermarks advance only once the outputs and the manifest are committed.
    await incremental?.commit(runId);
    // Dataset cards name the manifest by digest, so they follow it (and are not listed in it).
    await writeDatasetCards(plan.outputs, manifest, plan.manifestPath, runId);
    const lineage = project.pipeline.manifest.openlineage;
    if (lineage)
      await postLineage(manifest, plan.manifestPath, lineage, run.contexts.pipeline.logger, signal);
    events.emit({
      type: 'run_finished',
      status: 'succeeded',
      duration_ms: Date.now() - started,
      rows_written: rowsWritten,
      manifest_sha256: written.sha256,
    });
    await trail.flush();
    return {
      status: 'succeeded',
      run_id: runId,
      outputs,
      manifest: plan.manifestPath,
      audit_log: trail.path,
      duration_ms: Date.now() - started,
    };
  } catch (err) {
    const error = signal.aborted
      ? new SluiceError('CANCELLED', 'The run was interrupted; no output was committed.', { cause: err })
      : toSluiceError(err);
    await Promise.all(sinks.map((s) => s.abort().catch(() => undefined)));
    events.emit({ type: 'error', code: error.code, message: error.message });
    events.emit({
      type: 'run_finished',
      status: error.code === 'CANCELLED' ? 'cancelled' : 'failed',
      duration_ms: Date.now() - started,
      rows_written: 0,
    });
    await trail.flush().catch(() => undefined);
    throw error;
  } finally {
    await Promise.all((plan?.sources ?? []).map((s) => s.source.close().catch(() => undefined)));
    await engine?.close().catch(() => undefined);
    await releaseLock?.();
    await run.dispose();
  }
}

async function stagedFacts(file: StagedFile): Promise<OutputFileFacts> {
  // Hashed as it was written: the same size on disk means the same bytes (nothing else writes a
  // staged file); anything else is hashed from disk.
  const written = file.written;
  const { bytes, sha256 } =
    written && (await stat(file.tempPath)).size === written.bytes ? written : await fileSha256(file.tempPath);
  return { path: file.path, bytes, rows: file.rows, sha256 };
}

function streamSchema(plan: Plan, output: PlannedOutput): Schema {
  if (plan.select) return plan.select.schema;
  const source = plan.sources.find((s) => s.name === output.config.source) ?? plan.sources[0];
  return (source as PlannedSource).schema;
}

/** Extracts each source through its masks, counting what flows, and emits the evidence events. */
async function* extract(
  source: PlannedSource,
  events: EventBus,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const started = Date.now();
  events.emit({
    type: 'source_opened',
    source: source.name,
    connection: source.connection,
    connection_type: source.connectionType,
    query: source.query,
  });
  events.emit({ type: 'source_schema', source: source.name, columns: schemaColumns(source.rawSchema) });
  let rows = 0;
  let bytes = 0;
  async function* counted(): AsyncGenerator<RecordBatch> {
    for await (const batch of source.source.read(signal)) {
      rows += batch.numRows;
      const size = batchBytes(batch);
      bytes += size;
      events.emit({ type: 'rows_received', source: source.name, rows: batch.numRows, bytes: size });
      yield batch;
    }
  }
  yield* source.masks.apply(counted(), signal);
  const snapshot = source.source.snapshot?.();
  events.emit({
    type: 'source_finished',
    source: source.name,
    rows,
    bytes,
    duration_ms: Date.now() - started,
    ...(snapshot ? { snapshot } : {}),
  });
}

/** Streams every source (or the `select` result) into its sinks; returns each sink's staged files. */
async function writeOutputs(
  plan: Plan,
  sinks: Sink[],
  engine: SqlEngine | undefined,
  events: EventBus,
  signal: AbortSignal,
  readAheadBatches: number,
): Promise<StagedFile[][]> {
  const groups: {
    schema: Schema;
    stream: () => AsyncIterable<RecordBatch>;
    outputs: number[];
    sql?: string;
  }[] = [];
  if (plan.select && engine) {
    for (const source of plan.sources)
      await engine.load(source.name, source.schema, extract(source, events, signal), signal);
    const select = plan.select;
    events.emit({ type: 'select_executed', query: select.sql, columns: schemaColumns(select.schema) });
    const batchRows = Math.max(...plan.sources.map((s) => s.batchRows));
    groups.push({
      schema: select.schema,
      stream: () => engine.query(select.sql, batchRows, signal),
      outputs: plan.outputs.map((_, i) => i),
      sql: select.sql,
    });
  } else {
    for (const source of plan.sources) {
      const outputs = plan.outputs.flatMap((o, i) =>
        (o.config.source ?? plan.sources[0]?.name) === source.name ? [i] : [],
      );
      if (outputs.length > 0)
        groups.push({ schema: source.schema, stream: () => extract(source, events, signal), outputs });
    }
  }
  const staged: StagedFile[][] = plan.outputs.map(() => []);
  for (const group of groups) {
    const all = group.outputs.map((i) => ({
      index: i,
      sink: sinks[i] as Sink,
      name: (plan.outputs[i] as PlannedOutput).name,
    }));
    // Outputs the engine can write itself (DuckDB → Parquet) skip the round trip through Arrow.
    const direct = new Set<number>();
    if (group.sql !== undefined && engine) {
      for (const t of all) if (await t.sink.writeQuery?.(engine, group.sql, signal)) direct.add(t.index);
    }
    const targets = all.filter((t) => !direct.has(t.index));
    if (targets.length > 0) {
      for (const t of targets) await t.sink.open(group.schema, signal);
      for await (const batch of readAhead(group.stream(), readAheadBatches, signal)) {
        await Promise.all(targets.map((t) => t.sink.write(batch, signal)));
        const size = batchBytes(batch);
        for (const t of targets)
          events.emit({ type: 'rows_sent', output: t.name, rows: batch.numRows, bytes: size });
      }
    }
    for (const t of all) {
      staged[t.index] = await t.sink.finish(signal);
      if (direct.has(t.index)) {
        const rows = (staged[t.index] ?? []).reduce((n, f) => n + f.rows, 0);
        events.emit({ type: 'rows_sent', output: t.name, rows, bytes: 0 });
      }
    }
  }
  return staged;
}

/** Sends the run's OpenLineage events; the data is committed already, so a failure only warns. */
async function postLineage(
  manifest: Manifest,
  manifestPath: string,
  target: { url: string; namespace: string; retries: number },
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  try {
    const events = toOpenLineage(manifest, {
      manifestDir: dirname(manifestPath),
      namespace: target.namespace,
    });
    await postOpenLineage(target.url, events, { retries: target.retries, signal });
  } catch (err) {
    logger.warn(
      `OpenLineage events were not delivered (${(err as Error).message}). The dataset is committed; send them again with \`pipeline manifest export ${manifestPath} --format openlineage --post <url>\`.`,
    );
  }
}
