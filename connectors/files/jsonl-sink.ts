import { resolve } from 'node:path';
import type { Data, RecordBatch, Schema } from 'apache-arrow';
import type { ComponentContext, OutputDefinition, Sink } from '../../src/index.js';
import { type JsonlOutputConfig, jsonlConfigSchema } from './config.js';
import { type TextEncoding, TextFileSink } from './text-file-sink.js';
import { cellFormat } from './types.js';

/** One JSON object per row, keys in schema order, `\n` after every row. */
export function jsonlEncoding(what: string): TextEncoding {
  return {
    header: () => '',
    compile(schema: Schema) {
      const formats = schema.fields.map((f) => cellFormat(f, what));
      const keys = schema.fields.map((f, c) => `${c === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
      return (batch: RecordBatch) => {
        const columns = batch.data.children as Data[];
        const lines: string[] = new Array(batch.numRows);
        for (let i = 0; i < batch.numRows; i++) {
          let line = '';
          for (let c = 0; c < columns.length; c++) {
            line += keys[c] + (formats[c] as (typeof formats)[number]).json(columns[c] as Data, i);
          }
          lines[i] = columns.length === 0 ? '{}\n' : `${line}}\n`;
        }
        return lines.join('');
      };
    },
  };
}

/** `outputs[]` entry with `format: jsonl`. */
export const jsonlOutput: OutputDefinition<JsonlOutputConfig> = {
  kind: 'output',
  type: 'jsonl',
  description: 'JSON Lines: one object per row, exact 64-bit integers, decimals as strings.',
  configSchema: jsonlConfigSchema,
  create(config: JsonlOutputConfig, ctx: ComponentContext): Sink {
    return new TextFileSink(
      resolve(ctx.baseDir, config.path),
      ctx.runId,
      jsonlEncoding(`output \`${config.path}\``),
    );
  },
};
