import { resolve } from 'node:path';
import type { Data, RecordBatch, Schema } from 'apache-arrow';
import type { ComponentContext, OutputDefinition, Sink } from '../../src/index.js';
import { type CsvOutputConfig, csvConfigSchema } from './config.js';
import { type TextEncoding, TextFileSink } from './text-file-sink.js';
import { cellFormat } from './types.js';

/**
 * RFC 4180 field: quoted when it holds the delimiter, a quote, CR or LF, or is the empty string
 * (so that `""` is an empty string and an empty field is NULL).
 */
export function csvField(value: string | null, delimiter: string): string {
  if (value === null) return '';
  if (value === '' || value.includes(delimiter) || /["\r\n]/.test(value))
    return `"${value.replaceAll('"', '""')}"`;
  return value;
}

export function csvEncoding(what: string, delimiter: string, header: boolean): TextEncoding {
  return {
    header: (schema: Schema) =>
      header && schema.fields.length > 0
        ? `${schema.fields.map((f) => csvField(f.name, delimiter)).join(delimiter)}\n`
        : '',
    compile(schema: Schema) {
      const formats = schema.fields.map((f) => cellFormat(f, what));
      return (batch: RecordBatch) => {
        const columns = batch.data.children as Data[];
        const lines: string[] = new Array(batch.numRows);
        for (let i = 0; i < batch.numRows; i++) {
          const cells: string[] = new Array(columns.length);
          for (let c = 0; c < columns.length; c++) {
            cells[c] = csvField(
              (formats[c] as (typeof formats)[number]).text(columns[c] as Data, i),
              delimiter,
            );
          }
          lines[i] = `${cells.join(delimiter)}\n`;
        }
        return lines.join('');
      };
    },
  };
}

/** `outputs[]` entry with `format: csv`. */
export const csvOutput: OutputDefinition<CsvOutputConfig> = {
  kind: 'output',
  type: 'csv',
  description: 'CSV with RFC 4180 quoting; NULL is an empty field, the empty string is `""`.',
  configSchema: csvConfigSchema,
  create(config: CsvOutputConfig, ctx: ComponentContext): Sink {
    return new TextFileSink(
      resolve(ctx.baseDir, config.path),
      ctx.runId,
      csvEncoding(`output \`${config.path}\``, config.delimiter, config.header),
    );
  },
};
