import {
  type Data,
  type DataType,
  type Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Vector,
} from 'apache-arrow';
import { typeToString } from '../core/arrow-util.js';
import type { AnyMaskDefinition } from '../core/component-definition.js';
import type { ComponentContext } from '../core/context.js';
import type { ErrorCode } from '../core/error-codes.js';
import { SluiceError, throwIfAborted } from '../core/errors.js';
import type { MaskKernel } from '../core/transform.js';
import { didYouMean } from './did-you-mean.js';

/** One mask to apply to one column of a source. */
export interface ColumnMaskPlan {
  column: string;
  definition: AnyMaskDefinition;
  /** The mask's config (parsed again with the definition's schema). */
  config: { mask: string };
  /** Requested in the pipeline, or mandatory by policy. */
  origin: 'pipeline' | 'policy';
}

/** A problem found by `validateColumnMasks`, for `pipeline validate`. */
export interface ColumnMaskProblem {
  code: ErrorCode;
  source: string;
  column: string;
  mask: string;
  message: string;
}

/** The masks of one source, ready to run. */
export interface ColumnMasks {
  /** The schema after masking; throws `SCHEMA_MISMATCH` for a missing column or a type a mask cannot take. */
  outputSchema(input: Schema): Schema;
  /**
   * Masks every batch into a new batch. When the input ends (or the consumer stops), emits one
   * `mask_applied` event per plan with the rows and input nulls seen.
   */
  apply(input: AsyncIterable<RecordBatch>, signal: AbortSignal): AsyncIterable<RecordBatch>;
}

interface Step {
  plan: ColumnMaskPlan;
  config: { mask: string };
}

/** Column positions and output fields for one input schema. */
interface Layout {
  signature: string;
  schema: Schema;
  /**
   * Per step, the columns it masks with the field as that step sees it (every field with the name:
   * duplicates are all masked).
   */
  targets: { index: number; field: Field }[][];
}

function parseConfig(source: string, plan: ColumnMaskPlan): { mask: string } | SluiceError {
  const parsed = plan.definition.configSchema.safeParse(plan.config);
  if (parsed.success) return parsed.data as { mask: string };
  const issues = parsed.error.issues.map(
    (i) => `${i.path.length > 0 ? `\`${i.path.join('.')}\`: ` : ''}${i.message}`,
  );
  return new SluiceError(
    'CONFIG_INVALID',
    `Mask \`${plan.definition.type}\` on column \`${plan.column}\` of source \`${source}\` is misconfigured: ${issues.join('; ')}.`,
    { context: { source, column: plan.column, mask: plan.definition.type } },
  );
}

function signatureOf(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}\u0000${typeToString(f.type)}\u0000${f.nullable}`).join('\u0001');
}

function missingColumn(source: string, column: string, mask: string, schema: Schema): SluiceError {
  const names = schema.fields.map((f) => f.name);
  const suggestion = didYouMean(column, names);
  const list = names.map((n) => `\`${n}\``).join(', ');
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `Column \`${column}\` not found in source \`${source}\`.${suggestion === undefined ? '' : ` Did you mean \`${suggestion}\`?`} Columns: ${list || 'none'}. Fix the column name under \`transforms.${source}\` or in the policy.`,
    { context: { source, column, mask, columns: names } },
  );
}

function missingInputColumn(
  source: string,
  column: string,
  mask: string,
  other: string,
  schema: Schema,
): SluiceError {
  const names = schema.fields.map((f) => f.name);
  const suggestion = didYouMean(other, names);
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `Mask \`${mask}\` on column \`${column}\` of source \`${source}\` reads column \`${other}\`, which the source does not return.${suggestion === undefined ? '' : ` Did you mean \`${suggestion}\`?`} Add it to the source's columns or fix the mask's config.`,
    { context: { source, column, mask, input_column: other, columns: names } },
  );
}

function layoutFor(source: string, steps: readonly Step[], input: Schema, checkInputs = true): Layout {
  const fields = [...input.fields];
  const targets: { index: number; field: Field }[][] = [];
  for (const { plan, config } of steps) {
    const mask = plan.definition.type;
    const indexes: number[] = [];
    fields.forEach((f, i) => {
      if (f.name === plan.column) indexes.push(i);
    });
    if (indexes.length === 0) throw missingColumn(source, plan.column, mask, input);
    for (const other of checkInputs ? (plan.definition.inputColumns?.(config) ?? []) : []) {
      if (input.fields.every((f) => f.name !== other))
        throw missingInputColumn(source, plan.column, mask, other, input);
    }
    const seen: { index: number; field: Field }[] = [];
    for (const i of indexes) {
      const field = fields[i]!;
      seen.push({ index: i, field });
      let type: DataType;
      try {
        type = plan.definition.outputType(field.type, config);
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new SluiceError(
          'SCHEMA_MISMATCH',
          `Column \`${plan.column}\` of source \`${source}\`: ${message}`,
          {
            context: { source, column: plan.column, mask, type: typeToString(field.type) },
            cause,
          },
        );
      }
      const nullable = plan.definition.outputNullable?.(field.nullable, config) ?? field.nullable;
      fields[i] = field.clone({ type, nullable });
    }
    targets.push(seen);
  }
  return { signature: signatureOf(input), schema: new Schema(fields, input.metadata), targets };
}

/**
 * Checks masks against a source's schema without reading data; every problem names the column and
 * the source. An empty list means `createColumnMasks` will accept the schema.
 */
export function validateColumnMasks(
  sourceName: string,
  schema: Schema,
  plans: readonly ColumnMaskPlan[],
): ColumnMaskProblem[] {
  const problems: ColumnMaskProblem[] = [];
  const fields = [...schema.fields];
  for (const plan of plans) {
    const mask = plan.definition.type;
    const config = parseConfig(sourceName, plan);
    const problem = (err: SluiceError): void => {
      problems.push({ code: err.code, source: sourceName, column: plan.column, mask, message: err.message });
    };
    if (config instanceof SluiceError) {
      problem(config);
      continue;
    }
    const indexes = fields.flatMap((f, i) => (f.name === plan.column ? [i] : []));
    if (indexes.length === 0) {
      problem(missingColumn(sourceName, plan.column, mask, schema));
      continue;
    }
    const missing = (plan.definition.inputColumns?.(config) ?? []).filter((c) =>
      fields.every((f) => f.name !== c),
    );
    if (missing.length > 0) {
      for (const other of missing) problem(missingInputColumn(sourceName, plan.column, mask, other, schema));
      continue;
    }
    for (const i of indexes) {
      try {
        fields[i] = layoutFor(sourceName, [{ plan, config }], new Schema([fields[i]!]), false).schema
          .fields[0]!;
      } catch (err) {
        if (err instanceof SluiceError) problem(err);
        else throw err;
      }
    }
  }
  return problems;
}

/**
 * Prepares the masks of one source: parses each config and creates its kernel (keys are resolved
 * here, once). Plans run in order, so a second mask on a column sees the first one's output.
 *
 * @example
 * const masks = await createColumnMasks('customers', [{ column: 'email', definition: hmacMask,
 *   config: { mask: 'hmac', key_id: 'customer' }, origin: 'policy' }], ctx);
 * for await (const batch of masks.apply(source.read(signal), signal)) write(batch);
 */
export async function createColumnMasks(
  sourceName: string,
  plans: readonly ColumnMaskPlan[],
  ctx: ComponentContext,
): Promise<ColumnMasks> {
  const steps: Step[] = [];
  for (const plan of plans) {
    const config = parseConfig(sourceName, plan);
    if (config instanceof SluiceError) throw config;
    steps.push({ plan, config });
  }
  const kernels: MaskKernel[] = [];
  for (const { config, plan } of steps) kernels.push(await plan.definition.create(config, ctx));

  let cached: Layout | undefined;
  const layout = (input: Schema): Layout => {
    if (cached?.signature !== signatureOf(input)) cached = layoutFor(sourceName, steps, input);
    return cached;
  };

  const emit = (stats: { rows: number; nulls: number }[]): void => {
    steps.forEach(({ plan, config }, k) => {
      const { mask: _mask, key_id: _keyId, ...params } = config as Record<string, unknown>;
      const keyId = plan.definition.keyId?.(config);
      ctx.events.emit({
        type: 'mask_applied',
        source: sourceName,
        column: plan.column,
        mask: plan.definition.type,
        ...(keyId === undefined ? {} : { key_id: keyId }),
        params,
        rows: stats[k]!.rows,
        nulls: stats[k]!.nulls,
        origin: plan.origin,
      });
    });
  };

  return {
    outputSchema: (input) => layout(input).schema,
    async *apply(input, signal) {
      const stats = steps.map(() => ({ rows: 0, nulls: 0 }));
      let failed = false;
      try {
        for await (const batch of input) {
          throwIfAborted(signal);
          const { schema, targets } = layout(batch.schema);
          const children: Data[] = [...batch.data.children];
          steps.forEach((_, k) => {
            const kernel = kernels[k]!;
            for (const { index: i, field } of targets[k]!) {
              const before = children[i]!;
              stats[k]!.rows += before.length;
              stats[k]!.nulls += before.nullCount;
              const after = kernel(new Vector([before]), field, batch);
              if (after.data.length !== 1 || after.length !== before.length) {
                throw new SluiceError(
                  'INTERNAL',
                  `Mask \`${steps[k]!.plan.definition.type}\` returned ${after.length} values in ${after.data.length} chunks for ${before.length} values of column \`${steps[k]!.plan.column}\`.`,
                );
              }
              children[i] = after.data[0]!;
            }
          });
          yield new RecordBatch(
            schema,
            makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }),
          );
        }
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        if (!failed) emit(stats);
      }
    },
  };
}
