import { z } from 'zod';

const path = z
  .string()
  .describe('File to write, relative to the pipeline file directory. Example: `out/customers.jsonl`.');

export const jsonlConfigSchema = z
  .strictObject({
    format: z
      .literal('jsonl')
      .describe('Output format: JSON Lines, one object per row, keys in column order.'),
    path,
  })
  .describe('A JSON Lines file, staged and renamed into place when the run succeeds.');

export const csvConfigSchema = z
  .strictObject({
    format: z.literal('csv').describe('Output format: CSV (RFC 4180 quoting, `\\n` line ends).'),
    path,
    delimiter: z
      .string()
      .length(1)
      .refine(
        (d) => d !== '"' && d !== '\n' && d !== '\r',
        'The delimiter cannot be a quote or a line break.',
      )
      .default(',')
      .describe('Field delimiter, one character, e.g. `,` or `;` or a tab.'),
    header: z.boolean().default(true).describe('Write the column names as the first line.'),
  })
  .describe('A CSV file, staged and renamed into place when the run succeeds. NULL is an empty field.');

export const arrowConfigSchema = z
  .strictObject({
    format: z.literal('arrow').describe('Output format: Apache Arrow IPC.'),
    path,
    ipc: z
      .enum(['file', 'stream'])
      .default('file')
      .describe(
        '`file` writes the random-access IPC file format (`.arrow`); `stream` the IPC streaming format (`.arrows`).',
      ),
  })
  .describe('An Apache Arrow IPC file, staged and renamed into place when the run succeeds.');

export type JsonlOutputConfig = z.infer<typeof jsonlConfigSchema>;
export type CsvOutputConfig = z.infer<typeof csvConfigSchema>;
export type ArrowOutputConfig = z.infer<typeof arrowConfigSchema>;
