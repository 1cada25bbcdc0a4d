import {
  type Data,
  type DataType,
  type DateDay,
  makeVector,
  type RecordBatch,
  type Schema,
  type TimeMicrosecond,
  type TimestampMicrosecond,
  Type,
} from 'apache-arrow';
import { SluiceError, throwIfAborted } from '../../src/index.js';
import type { AppendColumn, DuckDBSession, DuckDBTableAppender, FixedArray, PlainItem } from './driver.js';
import { MAX_CHUNK_ROWS } from './driver.js';
import { quoteIdent } from './sql.js';
import { duckdbSqlTypeFor } from './types.js';

/** `CREATE TABLE` text for an Arrow schema (reverse type mapping); throws SCHEMA_MISMATCH. */
export function createTableSql(table: string, schema: Schema, what: string): string {
  const columns = schema.fields.map((f) => {
    const sqlType = duckdbSqlTypeFor(f.type);
    if (sqlType === undefined) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `Column \`${f.name}\` of ${what} has Arrow type \`${String(f.type)}\`, which cannot be stored in DuckDB. Cast or drop the column before this output.`,
        { context: { component: what, column: f.name, arrow_type: String(f.type) } },
      );
    }
    return `${quoteIdent(f.name)} ${sqlType}`;
  });
  return `CREATE TABLE ${quoteIdent(table)} (${columns.join(', ')})`;
}

/**
 * Appends Arrow record batches to a DuckDB table through the data-chunk appender. Fixed-width
 * columns whose layout matches DuckDB's are copied as buffers; others go value by value.
 */
export class ArrowTableWriter {
  readonly #appender: DuckDBTableAppender;
  #rows = 0;

  private constructor(appender: DuckDBTableAppender) {
    this.#appender = appender;
  }

  /** Creates `table` from `schema` on `session` and opens an appender on it. */
  static async create(
    session: DuckDBSession,
    table: string,
    schema: Schema,
    what: string,
  ): Promise<ArrowTableWriter> {
    await session.run(createTableSql(table, schema, what));
    return new ArrowTableWriter(await session.appender(table));
  }

  get rows(): number {
    return this.#rows;
  }

  append(batch: RecordBatch): void {
    const columns = batch.data.children;
    for (let start = 0; start < batch.numRows; start += MAX_CHUNK_ROWS) {
      const count = Math.min(MAX_CHUNK_ROWS, batch.numRows - start);
      const input = columns.map((data, c) =>
        appendColumnFor(data, start, count, this.#appender.columns[c]?.id),
      );
      this.#appender.append(input, count);
    }
    this.#rows += batch.numRows;
  }

  /** Flushes everything appended and closes the appender. */
  close(): void {
    this.#appender.close();
  }
}

/** Creates `table` and streams `batches` into it; returns the row count. */
export async function loadBatches(
  session: DuckDBSession,
  table: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  signal: AbortSignal,
  what = `table \`${table}\``,
): Promise<number> {
  const writer = await ArrowTableWriter.create(session, table, schema, what);
  try {
    for await (const batch of batches) {
      throwIfAborted(signal);
      writer.append(batch);
    }
  } finally {
    writer.close();
  }
  return writer.rows;
}

function isFixedMatch(type: DataType, target: string | undefined): boolean {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
      return (type as { precision?: number }).precision !== 0;
    case Type.Date:
      return (type as DateDay).unit === 0;
    case Type.Time:
      return (type as TimeMicrosecond).unit === 2;
    case Type.Timestamp:
      return target !== 'TIMESTAMP_TZ' || (type as TimestampMicrosecond).unit === 2;
    default:
      return false;
  }
}

function appendColumnFor(data: Data, start: number, count: number, target: string | undefined): AppendColumn {
  if (isFixedMatch(data.type, target)) {
    return {
      kind: 'fixed',
      values: data.values as FixedArray,
      validity: data.nullCount > 0 ? (data.nullBitmap ?? null) : null,
      offset: start,
      bitOffset: data.offset + start,
    };
  }
  return { kind: 'items', items: plainItems(data.slice(start, count)) };
}

const MICROS_PER: Record<number, bigint> = { 0: 1_000_000n, 1: 1_000n, 2: 1n };

/** Every value of `data` as a plain JS item, in DuckDB's units (µs for TIME and TIMESTAMPTZ). */
export function plainItems(data: Data): PlainItem[] {
  const length = data.length;
  const out: PlainItem[] = new Array(length);
  const valid = (i: number): boolean => data.getValid(i);
  const type = data.type;
  switch (type.typeId) {
    case Type.Null:
      return out.fill(null);
    case Type.Decimal: {
      const words = new BigUint64Array(
        (data.values as Uint32Array).buffer,
        (data.values as Uint32Array).byteOffset,
        length * 2,
      );
      for (let i = 0; i < length; i++) {
        out[i] = valid(i)
          ? (BigInt.asIntN(64, words[i * 2 + 1] as bigint) << 64n) | (words[i * 2] as bigint)
          : null;
      }
      return out;
    }
    case Type.Date: {
      const unit: number = (type as DateDay).unit;
      const values = data.values as Int32Array | BigInt64Array;
      for (let i = 0; i < length; i++) {
        if (!valid(i)) out[i] = null;
        else out[i] = unit === 0 ? (values[i] as number) : Math.floor(Number(values[i]) / 86_400_000);
      }
      return out;
    }
    case Type.Time: {
      const unit: number = (type as TimeMicrosecond).unit;
      const values = data.values as Int32Array | BigInt64Array;
      for (let i = 0; i < length; i++) {
        if (!valid(i)) out[i] = null;
        else if (unit === 3) out[i] = (values[i] as bigint) / 1000n;
        else out[i] = BigInt(values[i] as number | bigint) * (MICROS_PER[unit] as bigint);
      }
      return out;
    }
    case Type.Timestamp: {
      // Only reached for a zoned timestamp in a unit other than µs: DuckDB keeps TIMESTAMPTZ in µs.
      const unit: number = (type as TimestampMicrosecond).unit;
      const values = data.values as BigInt64Array;
      for (let i = 0; i < length; i++) {
        if (!valid(i)) out[i] = null;
        else if (unit === 3) out[i] = (values[i] as bigint) / 1000n;
        else out[i] = (values[i] as bigint) * (MICROS_PER[unit] as bigint);
      }
      return out;
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0] as Data;
      const first = offsets[0] as number;
      const childItems = plainItems(child.slice(first, (offsets[length] as number) - first));
      for (let i = 0; i < length; i++) {
        out[i] = valid(i)
          ? childItems.slice((offsets[i] as number) - first, (offsets[i + 1] as number) - first)
          : null;
      }
      return out;
    }
    default: {
      const vector = makeVector(data);
      for (let i = 0; i < length; i++) out[i] = valid(i) ? (vector.get(i) as PlainItem) : null;
      return out;
    }
  }
}
