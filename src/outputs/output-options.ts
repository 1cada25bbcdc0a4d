import { z } from 'zod';
import { type TemplateConfig, templateSchema } from './chat-template.js';

const column = z.string().min(1);

export const splitSchema = z
  .strictObject({
    by: column.describe(
      'Column whose value decides the split (e.g. a customer token): every row of one value lands in the same split, in every run.',
    ),
    parts: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]*$/, 'A split name is lowercase letters, digits and `_`.'),
        z.number().positive(),
      )
      .refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 255, 'Give 1 to 255 parts.')
      .describe(
        'Split names and weights, e.g. `{ train: 0.9, validation: 0.05, test: 0.05 }` (weights are normalised).',
      ),
    key_id: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Key in the key ring for the split hash, so nobody without the key can tell which values are in `test`. Default: a fixed public key.',
      ),
  })
  .describe('Deterministic train/validation/test split by a keyed hash (HMAC-SHA256) of one column.');

export const dedupSchema = z
  .strictObject({
    columns: z
      .array(column)
      .min(1)
      .optional()
      .describe('Rows are duplicates when these columns are equal. Default: all columns.'),
    near: z
      .strictObject({
        column: column.describe('Text column compared for near-duplicates.'),
        threshold: z
          .number()
          .min(0.5)
          .max(1)
          .default(0.8)
          .describe(
            'Estimated Jaccard similarity of 5-character shingle sets at or above which a text is a near-duplicate.',
          ),
        shingle_chars: z.number().int().min(2).max(32).default(5).describe('Characters per shingle.'),
      })
      .optional()
      .describe(
        'Near-duplicate dedup of free text: MinHash (128 permutations) with LSH (16 bands of 8 rows), candidates confirmed against `threshold`. Memory: about 330 MB per million kept rows.',
      ),
  })
  .describe(
    'Exact deduplication: keeps the first row of each distinct 64-bit fingerprint of the columns. Memory: about 16–32 MB per million distinct rows.',
  );

export const sampleSchema = z
  .strictObject({
    fraction: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        'Keep each row with this probability (keyed hash of the row below a threshold). Exclusive with `rows`.',
      ),
    rows: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Keep exactly this many rows (those with the smallest seeded hashes). Holds up to twice that many rows in memory.',
      ),
    seed: z.number().int().min(0).default(0).describe('Seed: the same seed and data give the same sample.'),
    by: z
      .array(column)
      .min(1)
      .optional()
      .describe(
        'Columns the sampling hash is computed over (e.g. an entity token to sample whole entities). Default: all columns.',
      ),
    stratify_by: column
      .optional()
      .describe(
        'Keep each value of this column in its share: with `rows`, the rows are shared among the values in proportion to their counts (largest remainder) and each value keeps its smallest seeded hashes; with `fraction`, every value is sampled at `fraction`. Holds up to twice `rows` rows per value.',
      ),
  })
  .superRefine((s, ctx) => {
    if ((s.fraction === undefined) === (s.rows === undefined))
      ctx.addIssue({ code: 'custom', message: 'Give exactly one of `fraction` or `rows`.', path: [] });
  })
  .describe('Deterministic sampling, applied after dedup and before the split.');

export const textSchema = z
  .strictObject({
    columns: z.array(column).min(1).describe('String columns to clean and limit.'),
    normalize: z
      .boolean()
      .default(true)
      .describe(
        'Unicode NFC, control characters removed, spaces and tabs collapsed, at most one blank line, trimmed.',
      ),
    max_chars: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Longest text kept, in characters (code points).'),
    max_tokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Longest text kept, in tokens: runs of letters and digits, and each other non-space character.',
      ),
    on_too_long: z
      .enum(['drop', 'truncate'])
      .default('drop')
      .describe(
        'A text over a limit drops its row (`drop`) or is cut to the limit (`truncate`); both are counted.',
      ),
  })
  .describe('Text hygiene and length limits, applied first, before dedup.');

/** Keys every output accepts besides its format's own: the training-set stages. */
export const outputStageShape = {
  where: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Keep only the rows for which this condition on the output's (masked) columns is true, e.g. `country = 'DE' AND length(body) > 20`. Column names, literals, comparisons, AND/OR/NOT, IS [NOT] NULL, IN, BETWEEN, LIKE/ILIKE, + - * / % and length, char_length, lower, upper, trim, abs, coalesce. Evaluated by Sluice, never run as SQL; applied before every other stage.",
    ),
  profile: z
    .boolean()
    .optional()
    .describe(
      'Emit a `profile` event per output: per column null ratio, distinct estimate (HyperLogLog), numeric min/max, text length quantiles.',
    ),
  text: textSchema.optional(),
  template: templateSchema.optional(),
  dedup: dedupSchema.optional(),
  sample: sampleSchema.optional(),
  split: splitSchema.optional(),
  max_rows_per_file: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Start a new shard after this many rows. Turns `path` into a dataset directory (see `split`).'),
  max_bytes_per_file: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Start a new shard once this many bytes of Arrow data (uncompressed) went into it. Turns `path` into a dataset directory.',
    ),
};

export type SplitConfig = z.infer<typeof splitSchema>;
export type DedupConfig = z.infer<typeof dedupSchema>;
export type SampleConfig = z.infer<typeof sampleSchema>;
export type TextConfig = z.infer<typeof textSchema>;

/** The stage keys of one output config, as parsed. */
export interface OutputStages {
  where?: string | undefined;
  profile?: boolean | undefined;
  text?: TextConfig | undefined;
  template?: TemplateConfig | undefined;
  dedup?: DedupConfig | undefined;
  sample?: SampleConfig | undefined;
  split?: SplitConfig | undefined;
  max_rows_per_file?: number | undefined;
  max_bytes_per_file?: number | undefined;
}

export function hasStages(config: OutputStages): boolean {
  return (
    config.profile === true ||
    config.where !== undefined ||
    config.text !== undefined ||
    config.template !== undefined ||
    config.dedup !== undefined ||
    config.sample !== undefined ||
    config.split !== undefined ||
    config.max_rows_per_file !== undefined ||
    config.max_bytes_per_file !== undefined
  );
}

/** Whether `path` names a dataset directory (`data/{split}-{i}-of-{n}.{ext}`) rather than one file. */
export function usesDatasetLayout(config: OutputStages): boolean {
  return (
    config.split !== undefined ||
    config.max_rows_per_file !== undefined ||
    config.max_bytes_per_file !== undefined
  );
}
