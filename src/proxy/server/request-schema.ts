import { z } from 'zod';
import { IDENTIFIER } from '../../config/pipeline-schema.js';

/** Largest request body the proxy reads; a bigger one gets 413 without being buffered. */
export const MAX_BODY_BYTES = 64 * 1024;

const maskSchema = z.looseObject({
  mask: z.string().min(1).max(100),
  key_id: z.string().min(1).max(200).optional(),
});

/** The body of `POST /v1/extract` and `POST /v1/plan`. */
export const extractBodySchema = z
  .strictObject({
    source: z
      .string()
      .regex(IDENTIFIER, 'Source names use letters, digits and `_`.')
      .max(100)
      .default('extract')
      .describe("The client's name for the extraction, in audit records."),
    connection: z.string().min(1).max(200).describe("A connection defined in the proxy's config."),
    query: z.string().min(1).optional(),
    table: z.string().min(1).max(400).optional(),
    columns: z.array(z.string().min(1).max(200)).min(1).max(2000).optional(),
    purpose: z.string().min(1).max(200),
    masks: z.record(z.string().min(1).max(200), maskSchema).default({}),
    batch_rows: z.int().min(1).max(1_000_000).default(10_000),
  })
  .refine((b) => (b.query === undefined) !== (b.table === undefined), {
    message: 'Give exactly one of `query` or `table`.',
  })
  .refine((b) => b.columns === undefined || b.table !== undefined, {
    message: '`columns` goes with `table`, not with `query`.',
  });

export type ExtractBody = z.infer<typeof extractBodySchema>;
