import type { DataType } from 'apache-arrow';
import type { z } from 'zod';

// Config types are inferred from `configSchema` by each component (`z.infer<typeof schema>`).
import type { ComponentContext } from './context.js';
import type { Sink } from './sink.js';
import type { Source, SourceSpec } from './source.js';
import type { MaskKernel, MaskProperties } from './transform.js';

/** A database or file connection type (`connections.<name>.type` in the config file). */
export interface ConnectionDefinition<C extends { type: string } = { type: string }> {
  kind: 'connection';
  type: string;
  description: string;
  /** A `z.strictObject` whose `type` is `z.literal(type)`. Parsing never connects. */
  configSchema: z.ZodObject;
  /**
   * True when the connection's sources apply the masks of `SourceSpec.masks` themselves (the
   * `proxy` connection: the proxy server masks under its policy); the engine then does not mask again.
   */
  appliesMasks?: boolean;
  /** Creates a source; no I/O until `describe` or `read`. */
  createSource(config: C, spec: SourceSpec, ctx: ComponentContext): Source;
  /**
   * A SQL predicate, in this connection's dialect, that is true for the rows of shard `index` of
   * `count` by a stable hash of `column` (quoted already). Every row, NULL keys included, falls in
   * exactly one shard. Without it the connection cannot run sharded.
   */
  shardPredicate?(quotedColumn: string, index: number, count: number): string;
  /**
   * The SQL literal, in this connection's dialect and typed as the column, for a watermark value of
   * an incremental source (`sources.<name>.incremental`). It must be a single constant (optionally
   * cast) that reads back as exactly `watermark.value`. Without it the connection cannot read
   * incrementally.
   */
  watermarkLiteral?(watermark: WatermarkLiteral): string;
}

/**
 * One watermark value of an incremental source, as canonical text: `integer` `-?[0-9]+`; `date`
 * `YYYY-MM-DD`; `timestamp` `YYYY-MM-DD HH:MM:SS[.fraction]`; `timestamptz` the same in UTC followed
 * by `+00`; `text` any text without NUL.
 */
export interface WatermarkLiteral {
  kind: 'integer' | 'timestamp' | 'timestamptz' | 'date' | 'text';
  value: string;
  /** Precision of a timestamp column. */
  unit?: 'second' | 'millisecond' | 'microsecond' | 'nanosecond';
}

/** The table an output writes into, on a connection of the config file, instead of a path. */
export interface OutputTableTarget {
  /** Name of a connection in the config file. */
  connection: string;
  /** The table, optionally schema-qualified (`analytics.customers`). */
  table: string;
  /** How the table is written, e.g. `replace`. */
  mode: string;
}

/** An output format (`outputs[].format` in a pipeline). */
export interface OutputDefinition<
  C extends { format: string; path?: string } = { format: string; path: string },
> {
  kind: 'output';
  type: string;
  description: string;
  /**
   * A `z.strictObject` whose `format` is `z.literal(type)` and that has a `path`, or, for an output
   * with `target`, the keys `target` reads.
   */
  configSchema: z.ZodObject;
  /** Connection types `target` can write into (e.g. `['postgres']`); only with `target`. */
  connectionTypes?: string[];
  /**
   * For an output that writes a table instead of files: where it writes. The engine then passes
   * the named connection's config to `create`, authorizes the write under the policy and records
   * the table (not files) in the manifest.
   */
  target?(config: C): OutputTableTarget;
  /** `connection`: the config of `target(config).connection`, for outputs with a `target`. */
  create(config: C, ctx: ComponentContext, connection?: { type: string }): Sink;
  /**
   * Starts costly set-up (e.g. a worker thread loading an encoder) before the run needs the sink,
   * so it overlaps planning. Best effort: never throws, and keeps nothing alive once unused.
   */
  warm?(config: C): void;
}

/** A column mask (`transforms.<source>.<column>.mask` in a pipeline). */
export interface MaskDefinition<C extends { mask: string } = { mask: string }> {
  kind: 'mask';
  type: string;
  description: string;
  /** A `z.strictObject` whose `mask` is `z.literal(type)`. */
  configSchema: z.ZodObject;
  properties: MaskProperties | ((config: C) => MaskProperties);
  /**
   * The type of the masked column. Throws a `SCHEMA_MISMATCH` SluiceError when the mask cannot take
   * `input`, so the problem is reported at validation, before any row is read.
   */
  outputType(input: DataType, config: C): DataType;
  /** Whether the masked column may hold nulls; when absent, the input field's nullability is kept. */
  outputNullable?(inputNullable: boolean, config: C): boolean;
  /**
   * Other columns of the batch the kernel reads (e.g. an entity key); validation checks they exist
   * before any row is read.
   */
  inputColumns?(config: C): string[];
  /** Key id the mask uses, for evidence (never the key itself). */
  keyId?(config: C): string | undefined;
  /** Resolves keys and prepares the kernel once per run. */
  create(config: C, ctx: ComponentContext): Promise<MaskKernel>;
}

// Each definition is generic in its own config type; the registry stores them type-erased.
// biome-ignore lint/suspicious/noExplicitAny: config types differ per component
export type AnyConnectionDefinition = ConnectionDefinition<any>;
// biome-ignore lint/suspicious/noExplicitAny: config types differ per component
export type AnyOutputDefinition = OutputDefinition<any>;
// biome-ignore lint/suspicious/noExplicitAny: config types differ per component
export type AnyMaskDefinition = MaskDefinition<any>;

export type ComponentDefinition = AnyConnectionDefinition | AnyOutputDefinition | AnyMaskDefinition;
export type ComponentKind = ComponentDefinition['kind'];
