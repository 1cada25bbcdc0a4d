import { z } from 'zod';
import type { Registry } from '../core/registry.js';
import { incrementalSchema } from '../incremental/incremental-schema.js';
import { outputStageShape } from '../outputs/output-options.js';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const identifier = (what: string) =>
  z
    .string()
    .regex(
      IDENTIFIER,
      `${what} must start with a letter or \`_\` and contain only letters, digits and \`_\`.`,
    );

export const DEFAULT_BATCH_ROWS = 65_536;

export const sourceSchema = z
  .strictObject({
    connection: z
      .string()
      .min(1)
      .describe("Name of a connection defined in the config file (the security team's file)."),
    query: z
      .string()
      .min(1)
      .optional()
      .describe('SQL that returns the rows of this source. Exclusive with `table`.'),
    table: z
      .string()
      .min(1)
      .optional()
      .describe('A table (optionally `schema.table`) to read instead of a query. Exclusive with `query`.'),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Columns to read from `table` (default: all). Only with `table`.'),
    shard_by: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Column whose hash assigns rows to shards when the run is split with `pipeline run --shard K/N`. Give related sources the same key (e.g. the customer id) so joins stay within a shard.',
      ),
    batch_rows: z
      .number()
      .int()
      .positive()
      .max(1_048_576)
      .default(DEFAULT_BATCH_ROWS)
      .describe('Rows per Arrow record batch read from the source.'),
    incremental: incrementalSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.query === undefined) === (s.table === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'Give exactly one of `query` or `table`.', path: [] });
    }
    if (s.columns !== undefined && s.table === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: '`columns` can only be used with `table`.',
        path: ['columns'],
      });
    }
  })
  .describe('Where the rows of one source come from.');

function union<T extends z.ZodObject>(key: string, schemas: T[], what: string, names: string[]) {
  const message = `Unknown ${what}. Registered: ${names.map((n) => `\`${n}\``).join(', ')}. A plugin listed under \`plugins:\` can add more.`;
  if (schemas.length === 1) return schemas[0] as T;
  return z.discriminatedUnion(key, schemas as [T, ...T[]], {
    error: (iss) => (iss.code === 'invalid_union' ? message : undefined),
  });
}

/** One column's mask: a union over the registered masks, tagged by `mask`. */
export function buildMaskSchema(registry: Registry) {
  const masks = registry.list('mask');
  return union(
    'mask',
    masks.map((m) => m.configSchema),
    'mask',
    masks.map((m) => m.type),
  );
}

/** The pipeline schema, generated from the registry's masks and output formats. */
export function buildPipelineSchema(registry: Registry) {
  const outputs = registry.list('output');
  const maskSchema = buildMaskSchema(registry);
  const outputSchema = union(
    'format',
    outputs.map((o) =>
      o.configSchema.extend({
        source: identifier('A source name')
          .optional()
          .describe(
            'Which source feeds this output when the pipeline has no `select`. Required with several sources.',
          ),
        ...outputStageShape,
      }),
    ),
    'output format',
    outputs.map((o) => o.type),
  );
  return z
    .strictObject({
      $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
      version: z.literal(1).describe('Pipeline file format version.'),
      name: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/, 'Use lowercase letters, digits, `.`, `_` and `-`.')
        .describe('Name of the training set this pipeline builds.'),
      description: z.string().optional().describe('What the dataset is for.'),
      purpose: z
        .string()
        .min(1)
        .describe('Why the data is extracted (e.g. `model-training`); the policy authorizes per purpose.'),
      owner: z.string().optional().describe('Team or person responsible for the dataset.'),
      plugins: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'Modules that register their own connections, outputs and masks (paths relative to this file, or package names).',
        ),
      sources: z
        .record(identifier('A source name'), sourceSchema)
        .refine((r) => Object.keys(r).length > 0, 'Define at least one source.')
        .describe('Named sources; each becomes a table of the same name in `select`.'),
      transforms: z
        .record(identifier('A source name'), z.record(z.string().min(1), maskSchema))
        .default({})
        .describe('Masks per source, per column: `transforms.<source>.<column>: { mask: …, … }`.'),
      select: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Optional SQL over the masked sources (embedded DuckDB); its result is written to the outputs.',
        ),
      outputs: z.array(outputSchema).min(1).describe('Where the dataset is written.'),
      manifest: z
        .strictObject({
          path: z
            .string()
            .optional()
            .describe(
              'Where the usage manifest is written (default: `manifest.json` beside the first output).',
            ),
          openlineage: z
            .strictObject({
              url: z.url().describe('OpenLineage HTTP endpoint, e.g. `http://marquez:5000/api/v1/lineage`.'),
              namespace: z.string().min(1).default('sluice').describe('OpenLineage job namespace.'),
              retries: z.number().int().min(0).max(10).default(3).describe('Retries per event.'),
            })
            .optional()
            .describe(
              "Post the run's OpenLineage events (START, COMPLETE) after the manifest is written. A failure only warns: the dataset is committed, and `pipeline manifest export --post` can send them again.",
            ),
        })
        .default({})
        .describe('The usage manifest written beside the dataset.'),
    })
    .describe('A Sluice pipeline: sources, masks, optional SQL, outputs.');
}

export type PipelineSchema = ReturnType<typeof buildPipelineSchema>;
export type PipelineConfig = z.infer<PipelineSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
