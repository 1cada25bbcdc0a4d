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
}

/** An output format (`outputs[].format` in a pipeline). */
export interface OutputDefinition<
  C extends { format: string; path: string } = { format: string; path: string },
> {
  kind: 'output';
  type: string;
  description: string;
  /** A `z.strictObject` whose `format` is `z.literal(type)` and that has a `path`. */
  configSchema: z.ZodObject;
  create(config: C, ctx: ComponentContext): Sink;
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
