import type { RecordBatch, Schema } from 'apache-arrow';
import type { ApprovalGate } from '../approvals/approval-gate.js';
import type { SluiceConfig } from '../config/config-schema.js';
import type { MaskConfig } from '../config/load-project.js';
import { batchBytes } from '../core/arrow-util.js';
import type { ComponentContext } from '../core/context.js';
import { SluiceError } from '../core/errors.js';
import type { EventBus, IdentityFacts } from '../core/events.js';
import type { KeyRing } from '../core/key-ring.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Registry } from '../core/registry.js';
import type { SecretResolver } from '../core/secrets.js';
import type { Source, SourceSpec } from '../core/source.js';
import type { Decision } from '../policy/decision.js';
import type { LoadedPolicy } from '../policy/loaded-policy.js';
import { type ColumnMaskPlan, createColumnMasks, validateColumnMasks } from '../transforms/column-masks.js';
import { authorizeSource } from './authorize-source.js';

/** What the proxy needs from its own config to serve an extraction; the client never sends any of it. */
export interface ExtractSetup {
  config: Pick<SluiceConfig, 'connections' | 'keys'>;
  /** Relative paths in connection configs resolve against it. */
  configDir: string;
  registry: Registry;
  policy?: LoadedPolicy | undefined;
  secrets: SecretResolver;
  keys: KeyRing;
  /**
   * Where approvals for this request are looked up and requested. Without it, access that needs
   * an approval stops with `APPROVAL_REQUIRED` and no request is filed.
   */
  approvalGate?: ((request: ExtractRequest) => ApprovalGate) | undefined;
}

/** One source, as a client asks for it. */
export interface ExtractRequest {
  /** The extraction's name in events and audit records (the client's source name). */
  source: string;
  /** A connection defined in the proxy's config. */
  connection: string;
  query?: string | undefined;
  table?: string | undefined;
  columns?: string[] | undefined;
  purpose: string;
  /** Masks by output column, applied by the proxy. */
  masks: Record<string, MaskConfig>;
  batch_rows: number;
}

export interface ExtractOptions {
  /** Receives the decision and the mask events; the caller wires it to the audit trail. */
  events: EventBus;
  runId: string;
  tempDir: string;
  logger?: Logger | undefined;
  signal: AbortSignal;
}

/** An authorized, described extraction; rows flow only when `batches` is iterated. */
export interface Extraction {
  /** Absent only when the config has no policy (the SQL guard alone allowed the query). */
  decision?: Decision | undefined;
  /** The query that runs: the client's, with the policy's row filters and limit. */
  query: string;
  connectionType: string;
  rawSchema: Schema;
  /** The schema of `batches`: after the masks. */
  schema: Schema;
  /** Masked batches; counts what flows into `stats`. */
  batches: AsyncIterable<RecordBatch>;
  /** Rows and Arrow bytes read from the source so far. */
  readonly stats: { rows: number; bytes: number };
  close(): Promise<void>;
}

/**
 * Runs one extraction exactly as a pipeline run does for one source: the SQL guard and the policy
 * decide (the decision is emitted, so audited, before anything connects), then the source is
 * created and described and the masks are prepared. Throws `GUARD_DENIED`, `POLICY_DENIED`,
 * `APPROVAL_REQUIRED`, `CONFIG_INVALID` (unknown connection, key id or mask config) or
 * `SCHEMA_MISMATCH`.
 *
 * @example
 * const x = await extractSource(setup, identity, { source: 'customers', connection: 'demo', table: 'customers',
 *   purpose: 'model-training', masks: { email: { mask: 'hmac', key_id: 'demo' } }, batch_rows: 10_000 }, opts);
 * try { for await (const batch of x.batches) send(batch); } finally { await x.close(); }
 */
export async function extractSource(
  setup: ExtractSetup,
  identity: IdentityFacts,
  request: ExtractRequest,
  options: ExtractOptions,
): Promise<Extraction> {
  const connection = setup.config.connections[request.connection] as { type: string } | undefined;
  if (!connection) {
    // The list of connections is not echoed: callers learn only about the ones they name.
    throw new SluiceError(
      'CONFIG_INVALID',
      `Connection \`${request.connection}\` is not defined on the proxy. Fix \`remote_connection\` in the client's connection, or ask the proxy's operators for the name.`,
      { context: { connection: request.connection } },
    );
  }
  for (const [column, mask] of Object.entries(request.masks)) {
    if (mask.key_id !== undefined && !(mask.key_id in setup.config.keys)) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `Mask \`${mask.mask}\` on column \`${column}\` names key id \`${mask.key_id}\`, which the proxy does not define. Use a key id defined in the proxy's config.`,
        { context: { column, key_id: mask.key_id } },
      );
    }
    if (!setup.registry.has('mask', mask.mask)) setup.registry.get('mask', mask.mask); // throws UNKNOWN_COMPONENT
  }
  const authorization = await authorizeSource(
    {
      source: request.source,
      connection: request.connection,
      connectionType: connection.type,
      spec: { query: request.query, table: request.table, columns: request.columns },
      masks: request.masks,
    },
    { identity, purpose: request.purpose, policy: setup.policy, approvals: setup.approvalGate?.(request) },
    setup.registry,
    options.events,
  );
  const base = {
    runId: options.runId,
    events: options.events,
    logger: options.logger ?? silentLogger,
    secrets: setup.secrets,
    keys: setup.keys,
    tempDir: options.tempDir,
  };
  const ctx: ComponentContext = { ...base, baseDir: setup.configDir };
  const source: Source = setup.registry.get('connection', connection.type).createSource(
    connection,
    {
      name: request.source,
      query: authorization.query,
      batch_rows: request.batch_rows,
    } satisfies SourceSpec,
    ctx,
  );
  try {
    const rawSchema = await source.describe(options.signal);
    const plans: ColumnMaskPlan[] = Object.entries(request.masks).map(([column, config]) => ({
      column,
      definition: setup.registry.get('mask', config.mask),
      config,
      origin: authorization.mandatory.has(column) ? ('policy' as const) : ('pipeline' as const),
    }));
    const problems = validateColumnMasks(request.source, rawSchema, plans);
    if (problems.length > 0) {
      const first = problems[0] as (typeof problems)[number];
      throw new SluiceError(first.code, problems.map((p) => p.message).join('\n'), {
        context: { source: request.source, columns: problems.map((p) => p.column) },
      });
    }
    const masks = await createColumnMasks(request.source, plans, ctx);
    const stats = { rows: 0, bytes: 0 };
    const signal = options.signal;
    async function* counted(): AsyncGenerator<RecordBatch> {
      for await (const batch of source.read(signal)) {
        stats.rows += batch.numRows;
        stats.bytes += batchBytes(batch);
        yield batch;
      }
    }
    return {
      decision: authorization.decision,
      query: authorization.query,
      connectionType: connection.type,
      rawSchema,
      schema: masks.outputSchema(rawSchema),
      batches: masks.apply(counted(), signal),
      stats,
      close: () => source.close(),
    };
  } catch (err) {
    await source.close().catch(() => undefined);
    throw err;
  }
}
