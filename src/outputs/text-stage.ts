import { type Data, DataType, makeData, RecordBatch, Struct, type Vector } from 'apache-arrow';
import { flatData } from '../transforms/flat-data.js';
import type { BatchStage, DropCount } from './batch-stage.js';
import { selectedRows, takeRows } from './take-rows.js';

export interface TextOptions {
  columns: string[];
  normalize: boolean;
  maxChars?: number | undefined;
  maxTokens?: number | undefined;
  onTooLong: 'drop' | 'truncate';
}

// C0 and C1 controls except tab, line feed and carriage return (which become spaces or stay).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** NFC, control characters removed, runs of spaces and tabs as one space, at most two line breaks in a row, trimmed. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(CONTROL, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Tokens as counted by length limits: runs of letters/digits, and each other non-space character. */
const TOKEN = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

export function countTokens(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(TOKEN)) n++;
  return n;
}

/** `text` cut after its first `max` tokens (keeping the text between them as is). */
export function truncateTokens(text: string, max: number): string {
  let n = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (++n === max) return text.slice(0, (m.index ?? 0) + m[0].length);
  }
  return text;
}

/** `text` cut to at most `max` characters (code points, never splitting a surrogate pair). */
export function truncateChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

const encoder = new TextEncoder();

/**
 * Text hygiene on chosen string columns: normalisation, then character or token limits that drop
 * the row or truncate the text. Counts dropped rows and truncated values.
 */
export class TextStage implements BatchStage {
  readonly #options: TextOptions;
  #dropped = 0;
  #truncated = 0;

  constructor(options: TextOptions) {
    this.#options = options;
  }

  push(batch: RecordBatch): RecordBatch[] {
    const o = this.#options;
    const keep = new Uint8Array(batch.numRows).fill(1);
    const children = [...(batch.data.children as Data[])];
    for (const name of o.columns) {
      const index = batch.schema.fields.findIndex((f) => f.name === name);
      const column = batch.getChild(name);
      if (index < 0 || !column || !DataType.isUtf8(column.type)) continue;
      const values: (string | null)[] = new Array(batch.numRows);
      let r = 0;
      for (const value of column as Vector) {
        let text = value as string | null;
        if (text !== null) {
          if (o.normalize) text = normalizeText(text);
          const tooLong =
            (o.maxChars !== undefined && text.length > o.maxChars && [...text].length > o.maxChars) ||
            (o.maxTokens !== undefined && countTokens(text) > o.maxTokens);
          if (tooLong && o.onTooLong === 'drop') keep[r] = 0;
          else if (tooLong) {
            if (o.maxChars !== undefined) text = truncateChars(text, o.maxChars);
            if (o.maxTokens !== undefined) text = truncateTokens(text, o.maxTokens);
            this.#truncated++;
          }
        }
        values[r++] = text;
      }
      children[index] = utf8Data(values, column.type);
    }
    let rows = 0;
    for (const k of keep) rows += k;
    this.#dropped += batch.numRows - rows;
    const next = new RecordBatch(
      batch.schema,
      makeData({ type: new Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children }),
    );
    if (rows === 0) return [];
    return [rows === batch.numRows ? next : takeRows(next, selectedRows(keep, batch.numRows))];
  }

  flush(): RecordBatch[] {
    return [];
  }

  drops(): DropCount[] {
    const drops = [{ stage: 'text', reason: 'too_long', rows: this.#dropped }];
    if (this.#options.onTooLong === 'truncate')
      drops.push({ stage: 'text', reason: 'truncated_kept', rows: this.#truncated });
    return drops;
  }
}

/** A Utf8 chunk from strings (null stays null). */
export function utf8Data(values: (string | null)[], type: DataType): Data {
  const parts = values.map((v) => (v === null ? undefined : encoder.encode(v)));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (const [i, p] of parts.entries()) {
    total += p?.length ?? 0;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  for (const [i, p] of parts.entries()) {
    if (p === undefined) nulls++;
    else {
      bytes.set(p, offsets[i]!);
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  }
  return flatData(type, values.length, nulls, bitmap, bytes, offsets);
}
