import { type Data, type DataType, type RecordBatch, TimeUnit, Type } from 'apache-arrow';
import type { WatermarkLiteral } from '../core/component-definition.js';
import { SluiceError } from '../core/errors.js';

/** The kind (and timestamp precision) of a watermark column, as the connection reports it. */
export type WatermarkType = Omit<WatermarkLiteral, 'value'>;

type Unit = NonNullable<WatermarkLiteral['unit']>;

const UNITS: Record<number, Unit> = {
  [TimeUnit.SECOND]: 'second',
  [TimeUnit.MILLISECOND]: 'millisecond',
  [TimeUnit.MICROSECOND]: 'microsecond',
  [TimeUnit.NANOSECOND]: 'nanosecond',
};
const PER_SECOND: Record<Unit, bigint> = {
  second: 1n,
  millisecond: 1_000n,
  microsecond: 1_000_000n,
  nanosecond: 1_000_000_000n,
};
const DIGITS: Record<Unit, number> = { second: 0, millisecond: 3, microsecond: 6, nanosecond: 9 };
const DAY_MS = 86_400_000;

/** The watermark kind of an Arrow column type; undefined when it cannot hold a watermark. */
export function watermarkTypeOf(type: DataType): WatermarkType | undefined {
  switch (type.typeId) {
    case Type.Int:
      return { kind: 'integer' };
    case Type.Timestamp: {
      const t = type as DataType & { unit: TimeUnit; timezone?: string | null };
      const unit = UNITS[t.unit] ?? 'microsecond';
      return { kind: t.timezone ? 'timestamptz' : 'timestamp', unit };
    }
    case Type.Date:
      return { kind: 'date' };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { kind: 'text' };
    default:
      return undefined;
  }
}

/** True when two watermark types read each other's values (same kind and precision). */
export function sameWatermarkType(a: WatermarkType, b: WatermarkType): boolean {
  return a.kind === b.kind && (a.unit ?? null) === (b.unit ?? null);
}

/** Kinds whose values are ordered by number (exactly as the database orders them). */
export function isNumericKind(kind: WatermarkType['kind']): boolean {
  return kind !== 'text';
}

/**
 * A cell of a numeric-kind column as the number the canonical text stands for: the integer, the
 * timestamp in its column's unit since the epoch (UTC), or days since the epoch.
 */
function numericCell(data: Data, index: number): bigint {
  const values = data.values as ArrayLike<number | bigint>;
  const type = data.type as DataType & { unit?: number };
  const raw = values[index] as number | bigint;
  // A DateMillisecond column stores milliseconds: the watermark counts days.
  if (data.type.typeId === Type.Date && type.unit === 1) return BigInt(Math.floor(Number(raw) / DAY_MS));
  return BigInt(raw);
}

function textCell(data: Data, index: number): string {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const start = Number(offsets[index]);
  const end = Number(offsets[index + 1]);
  return Buffer.from(data.values.buffer, data.values.byteOffset + start, end - start).toString('utf8');
}

/** The canonical text of a numeric-kind value (see `WatermarkLiteral`). */
export function numberToText(value: bigint, type: WatermarkType): string {
  switch (type.kind) {
    case 'integer':
      return value.toString();
    case 'date':
      return isoDate(Number(value) * DAY_MS).slice(0, 10);
    case 'timestamp':
    case 'timestamptz': {
      const unit = type.unit ?? 'microsecond';
      const per = PER_SECOND[unit];
      let seconds = value / per;
      let fraction = value % per;
      if (fraction < 0n) {
        fraction += per;
        seconds -= 1n;
      }
      const iso = isoDate(Number(seconds) * 1000);
      const digits = DIGITS[unit];
      const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${digits > 0 ? `.${fraction.toString().padStart(digits, '0')}` : ''}`;
      return type.kind === 'timestamptz' ? `${text}+00` : text;
    }
    case 'text':
      throw new SluiceError('INTERNAL', 'A text watermark has no numeric value.');
  }
}

/** The number a canonical text stands for; throws `CONFIG_INVALID` when the text is malformed. */
export function textToNumber(text: string, type: WatermarkType): bigint {
  switch (type.kind) {
    case 'integer':
      if (!/^-?\d+$/.test(text)) throw malformed(type);
      return BigInt(text);
    case 'date': {
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
      if (Number.isNaN(ms)) throw malformed(type);
      return BigInt(Math.floor(ms / DAY_MS));
    }
    case 'timestamp':
    case 'timestamptz': {
      const unit = type.unit ?? 'microsecond';
      const tz = type.kind === 'timestamptz' ? '\\+00' : '';
      const match = new RegExp(`^(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:\\d{2}:\\d{2})(?:\\.(\\d{1,9}))?${tz}$`).exec(
        text,
      );
      const ms = match ? Date.parse(`${match[1]}T${match[2]}Z`) : Number.NaN;
      const digits = DIGITS[unit];
      if (!match || Number.isNaN(ms) || (match[3]?.length ?? 0) > digits) throw malformed(type);
      const fraction = BigInt((match[3] ?? '').padEnd(digits, '0') || '0');
      return (BigInt(ms) / 1000n) * PER_SECOND[unit] + fraction;
    }
    case 'text':
      throw new SluiceError('INTERNAL', 'A text watermark has no numeric value.');
  }
}

function isoDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (!/^\d{4}-/.test(iso)) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      'A watermark value lies outside the years 0000–9999 and cannot be written as a SQL literal.',
    );
  }
  return iso;
}

function malformed(type: WatermarkType): SluiceError {
  return new SluiceError(
    'CONFIG_INVALID',
    `A stored ${type.kind} watermark is malformed. Run once with \`--full-refresh\` to read every row again and store a new one.`,
  );
}

/**
 * Follows the largest (column[, tiebreaker]) value of the rows read. Numeric kinds compare as
 * numbers, in any order; a text column or tiebreaker takes the last row read, which is the largest
 * because the incremental query orders by the watermark (the database's collation decides).
 */
export class WatermarkTracker {
  readonly #columns: string[];
  readonly #types: WatermarkType[];
  readonly #byOrder: boolean;
  #max: (bigint | string)[] | undefined;

  constructor(columns: string[], types: WatermarkType[]) {
    this.#columns = columns;
    this.#types = types;
    this.#byOrder = types.some((t) => !isNumericKind(t.kind));
  }

  /** True when the tracker relies on the query's ORDER BY reaching it unchanged. */
  get byOrder(): boolean {
    return this.#byOrder;
  }

  observe(batch: RecordBatch): void {
    if (batch.numRows === 0) return;
    const chunks = this.#columns.map((name) => {
      const index = batch.schema.fields.findIndex((f) => f.name === name);
      const data = batch.getChildAt(index)?.data[0];
      if (index < 0 || data === undefined) {
        throw new SluiceError('INTERNAL', `The watermark column \`${name}\` is missing from a batch.`);
      }
      return data;
    });
    const first = chunks[0] as Data;
    if (this.#byOrder) {
      for (let i = batch.numRows - 1; i >= 0; i--) {
        if (chunks.every((d) => d.getValid(i))) {
          this.#max = chunks.map((d, c) => this.#cell(d, i, c));
          return;
        }
      }
      return;
    }
    if (chunks.length === 1) {
      this.#observeSingle(first, batch.numRows);
      return;
    }
    // Find the batch's largest row by index first, so only that row becomes a watermark tuple.
    let at = -1;
    for (let i = 0; i < batch.numRows; i++) {
      if (!allValid(chunks, i)) continue;
      if (at < 0 || compareRows(chunks, i, at) > 0) at = i;
    }
    if (at < 0) return;
    const row = chunks.map((d) => numericCell(d, at));
    if (this.#max === undefined || comparePairs(row, this.#max as bigint[]) > 0) this.#max = row;
  }

  // The common case on the hot path: one numeric column, compared over its value buffer.
  #observeSingle(data: Data, rows: number): void {
    const values = data.values as ArrayLike<number | bigint>;
    const nullable = data.nullCount > 0;
    let best: number | bigint | undefined;
    let at = -1;
    for (let i = 0; i < rows; i++) {
      if (nullable && !data.getValid(i)) continue;
      const v = values[i] as number | bigint;
      if (best === undefined || v > best) {
        best = v;
        at = i;
      }
    }
    if (at < 0) return;
    const candidate = numericCell(data, at);
    const current = this.#max?.[0] as bigint | undefined;
    if (current === undefined || candidate > current) this.#max = [candidate];
  }

  #cell(data: Data, index: number, column: number): bigint | string {
    return isNumericKind((this.#types[column] as WatermarkType).kind)
      ? numericCell(data, index)
      : textCell(data, index);
  }

  /** The largest value read, as canonical text; undefined when no row was read. */
  value(): string[] | undefined {
    return this.#max?.map((v, c) =>
      typeof v === 'string' ? v : numberToText(v, this.#types[c] as WatermarkType),
    );
  }
}

function allValid(chunks: Data[], i: number): boolean {
  for (const d of chunks) if (!d.getValid(i)) return false;
  return true;
}

/** Rows `i` and `j` of the same batch compared lexicographically over the watermark columns. */
function compareRows(chunks: Data[], i: number, j: number): number {
  for (const d of chunks) {
    const x = numericCell(d, i);
    const y = numericCell(d, j);
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}

function comparePairs(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as bigint;
    const y = b[i] as bigint;
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}
