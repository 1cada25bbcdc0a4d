import { z } from 'zod';

const DURATION = /^\d+(?:ms|s|m|h|d)$/;

/** `sources.<name>.incremental`: read only the rows past the last committed watermark. */
export const incrementalSchema = z
  .strictObject({
    column: z
      .string()
      .min(1)
      .describe(
        'Output column of the source whose value only grows as rows are added or changed (e.g. `updated_at`, a sequence id). A run reads the rows with `column > watermark`, where the watermark is the largest value read by the last successful run. Types: integer, timestamp, timestamptz, date, text. Rows where it is NULL are never read. It must not be sensitive: a column the policy or the pipeline masks is refused. See docs/incremental.md.',
      ),
    tiebreaker: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A unique key column that orders rows with equal `column` values: the watermark becomes the pair (column, tiebreaker) and a run reads the rows after it in that order, so a run cut short by a row limit, or rows sharing the last timestamp with larger keys, are not skipped. Exclusive with `lookback`.',
      ),
    lookback: z
      .union([
        z.number().int().positive(),
        z.string().regex(DURATION, 'Write a duration such as `500ms`, `30s`, `15m`, `2h` or `1d`.'),
      ])
      .optional()
      .describe(
        'Re-read a window before the watermark on every run: `column > watermark - lookback`. A duration (`15m`) for timestamp and date columns, a whole number for integer columns. Catches rows committed late with a value just below the watermark, at the price of reading rows again: deduplicate downstream by key. Exclusive with `tiebreaker`.',
      ),
  })
  .superRefine((s, ctx) => {
    if (s.tiebreaker !== undefined && s.lookback !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'Give `tiebreaker` or `lookback`, not both.',
        path: ['lookback'],
      });
    if (s.tiebreaker !== undefined && s.tiebreaker === s.column)
      ctx.addIssue({
        code: 'custom',
        message: '`tiebreaker` must be another column than `column` (a unique key).',
        path: ['tiebreaker'],
      });
  })
  .describe(
    'Incremental extraction: each run reads only the rows past the watermark committed by the last successful run. The watermark is committed only after the outputs and the manifest are, so a failed run neither skips nor duplicates rows. `pipeline run --full-refresh` reads everything again.',
  );

export type IncrementalConfig = z.infer<typeof incrementalSchema>;

/** Milliseconds of a duration written `500ms`, `30s`, `15m`, `2h` or `1d`. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match?.[2] ?? ''] ?? Number.NaN;
  return Number(match?.[1]) * unit;
}
