import { Field, List, makeData, RecordBatch, Schema, Struct, Utf8, type Vector } from 'apache-arrow';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import type { DropCount } from './batch-stage.js';
import { utf8Data } from './text-stage.js';

export const templateSchema = z
  .strictObject({
    messages: z
      .array(
        z.strictObject({
          role: z.enum(['system', 'user', 'assistant']).describe('Chat role of the message.'),
          content: z
            .string()
            .describe('Text with `{{column}}` placeholders, replaced by the column value of the row.'),
        }),
      )
      .min(1)
      .describe('Messages of each example, in order.'),
  })
  .describe(
    'Only for `format: jsonl`: writes each row as `{"messages": [{"role", "content"}, …]}` for chat fine-tuning. A row with a null in a placeholder column is not written and is counted.',
  );

export type TemplateConfig = z.infer<typeof templateSchema>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const role = new Field('role', new Utf8(), false);
const content = new Field('content', new Utf8(), false);
const messageType = new Struct([role, content]);
const messagesField = new Field('messages', new List(new Field('item', messageType, false)), false);

/** The schema of a templated output: one `messages` column. */
export const CHAT_SCHEMA = new Schema([messagesField]);

type Part = string | { column: string };

/** Maps rows into the chat-messages shape; rows missing a placeholder value are counted, never half written. */
export class ChatTemplate {
  readonly #messages: { role: string; parts: Part[] }[];
  readonly columns: string[];
  #dropped = 0;

  constructor(config: TemplateConfig) {
    const columns = new Set<string>();
    this.#messages = config.messages.map((m) => {
      const parts: Part[] = [];
      let last = 0;
      for (const match of m.content.matchAll(PLACEHOLDER)) {
        const column = match[1] as string;
        columns.add(column);
        parts.push(m.content.slice(last, match.index), { column });
        last = (match.index ?? 0) + match[0].length;
      }
      parts.push(m.content.slice(last));
      return { role: m.role, parts };
    });
    this.columns = [...columns];
  }

  check(schema: Schema, format: string, what: string): void {
    if (format !== 'jsonl') {
      throw new SluiceError(
        'CONFIG_INVALID',
        `\`template\` of ${what} needs \`format: jsonl\`; this output is \`${format}\`. Use a JSONL output for chat fine-tuning data.`,
      );
    }
    const have = new Set(schema.fields.map((f) => f.name));
    const missing = this.columns.filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `The template of ${what} names ${missing.map((c) => `\`${c}\``).join(', ')}, not in the output. Columns: ${schema.fields.map((f) => `\`${f.name}\``).join(', ')}.`,
      );
    }
  }

  /** The batch as one `messages` row per input row whose placeholder columns all have values. */
  apply(batch: RecordBatch): RecordBatch {
    const vectors = new Map<string, Vector>();
    for (const c of this.columns) vectors.set(c, batch.getChild(c) as Vector);
    const roles: string[] = [];
    const contents: string[] = [];
    let rows = 0;
    for (let i = 0; i < batch.numRows; i++) {
      const values = new Map<string, string>();
      let complete = true;
      for (const [c, v] of vectors) {
        const value = v.get(i);
        if (value === null || value === undefined) {
          complete = false;
          break;
        }
        values.set(c, String(value));
      }
      if (!complete) {
        this.#dropped++;
        continue;
      }
      for (const m of this.#messages) {
        roles.push(m.role);
        contents.push(
          m.parts.map((p) => (typeof p === 'string' ? p : (values.get(p.column) as string))).join(''),
        );
      }
      rows++;
    }
    const per = this.#messages.length;
    const offsets = new Int32Array(rows + 1);
    for (let r = 0; r <= rows; r++) offsets[r] = r * per;
    const struct = makeData({
      type: messageType,
      length: roles.length,
      nullCount: 0,
      children: [utf8Data(roles, new Utf8()), utf8Data(contents, new Utf8())],
    });
    const list = makeData({
      type: messagesField.type,
      length: rows,
      nullCount: 0,
      valueOffsets: offsets,
      child: struct,
    });
    return new RecordBatch(
      CHAT_SCHEMA,
      makeData({ type: new Struct(CHAT_SCHEMA.fields), length: rows, nullCount: 0, children: [list] }),
    );
  }

  drops(): DropCount[] {
    return [{ stage: 'template', reason: 'missing_value', rows: this.#dropped }];
  }
}
