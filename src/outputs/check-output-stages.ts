import { DataType, type Schema } from 'apache-arrow';
import type { ErrorCode } from '../core/error-codes.js';
import { SluiceError } from '../core/errors.js';
import { didYouMean } from '../transforms/did-you-mean.js';
import { ChatTemplate } from './chat-template.js';
import type { OutputStages } from './output-options.js';
import { SplitAssigner } from './split-assigner.js';
import { compileWhere } from './where-predicate.js';

/** One problem with an output's stages, at a path below the output's entry in the pipeline file. */
export interface StageIssue {
  path: (string | number)[];
  code: ErrorCode;
  message: string;
}

/**
 * Checks every column the training-set stages of one output name (`where`, `split.by`, `dedup`,
 * `sample`, `text`, `template`) against the schema of the rows that output receives, and compiles
 * `where`. Returns every problem, so validation can report them all before a row is read.
 */
export async function checkOutputStages(
  config: OutputStages & { format: string; path?: string | undefined },
  schema: Schema,
): Promise<StageIssue[]> {
  const issues: StageIssue[] = [];
  const names = schema.fields.map((f) => f.name);
  const listed = names.map((n) => `\`${n}\``).join(', ');
  const what = config.path === undefined ? 'this output' : `output \`${config.path}\``;
  const column = (path: (string | number)[], name: string, needText = false) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) {
      const best = didYouMean(name, names);
      issues.push({
        path,
        code: 'SCHEMA_MISMATCH',
        message: `Column \`${name}\` is not in the rows of ${what}.${best === undefined ? '' : ` Did you mean \`${best}\`?`} Columns: ${listed}.`,
      });
    } else if (needText && !DataType.isUtf8(field.type)) {
      issues.push({
        path,
        code: 'SCHEMA_MISMATCH',
        message: `Column \`${name}\` of ${what} has type \`${String(field.type)}\`; this stage works on text (Utf8) columns.`,
      });
    }
  };
  const caught = (path: (string | number)[], check: () => void) => {
    try {
      check();
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      issues.push({ path, code: err.code, message: err.message });
    }
  };
  if (config.where !== undefined) {
    try {
      await compileWhere(config.where, schema);
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      issues.push({ path: ['where'], code: 'CONFIG_INVALID', message: err.message });
    }
  }
  for (const [i, c] of (config.text?.columns ?? []).entries()) column(['text', 'columns', i], c, true);
  for (const [i, c] of (config.dedup?.columns ?? []).entries()) column(['dedup', 'columns', i], c);
  if (config.dedup?.near) column(['dedup', 'near', 'column'], config.dedup.near.column, true);
  for (const [i, c] of (config.sample?.by ?? []).entries()) column(['sample', 'by', i], c);
  if (config.sample?.stratify_by !== undefined) column(['sample', 'stratify_by'], config.sample.stratify_by);
  const split = config.split;
  if (split)
    caught(['split', 'by'], () =>
      new SplitAssigner(split.by, split.parts, new Uint8Array(32)).check(schema, what),
    );
  const template = config.template;
  if (template) caught(['template'], () => new ChatTemplate(template).check(schema, config.format, what));
  return issues;
}
