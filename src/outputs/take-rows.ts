import { type Data, DataType, makeBuilder, makeData, RecordBatch, Struct, Vector } from 'apache-arrow';
import { flatData } from '../transforms/flat-data.js';

type Copyable =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return true;
  const p = data.offset + i;
  return ((bitmap[p >> 3]! >> (p & 7)) & 1) === 1;
}

/** Validity of the taken rows, or undefined when none is null. */
function takeValidity(data: Data, rows: Int32Array): { bitmap: Uint8Array | undefined; nulls: number } {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0)
    return { bitmap: undefined, nulls: 0 };
  const bitmap = new Uint8Array((rows.length + 7) >> 3);
  let nulls = 0;
  for (let k = 0; k < rows.length; k++) {
    if (isValid(data, rows[k]!)) bitmap[k >> 3]! |= 1 << (k & 7);
    else nulls++;
  }
  return nulls === 0 ? { bitmap: undefined, nulls: 0 } : { bitmap, nulls };
}

function takeVariable(data: Data, rows: Int32Array, bitmap: Uint8Array | undefined, nulls: number): Data {
  const values = data.values as Uint8Array;
  const large = data.valueOffsets instanceof BigInt64Array;
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  const at = (i: number) => (large ? Number((offsets as BigInt64Array)[i]!) : (offsets as Int32Array)[i]!);
  let total = 0;
  for (let k = 0; k < rows.length; k++) total += at(rows[k]! + 1) - at(rows[k]!);
  const out = new Uint8Array(total);
  const outOffsets = large ? new BigInt64Array(rows.length + 1) : new Int32Array(rows.length + 1);
  let pos = 0;
  for (let k = 0; k < rows.length; k++) {
    const start = at(rows[k]!);
    const end = at(rows[k]! + 1);
    out.set(values.subarray(start, end), pos);
    pos += end - start;
    if (large) (outOffsets as BigInt64Array)[k + 1] = BigInt(pos);
    else (outOffsets as Int32Array)[k + 1] = pos;
  }
  return flatData(data.type, rows.length, nulls, bitmap, out, outOffsets);
}

function takeFixed(data: Data, rows: Int32Array, bitmap: Uint8Array | undefined, nulls: number): Data {
  const values = data.values as Copyable;
  const stride = data.stride;
  const Ctor = values.constructor as new (n: number) => Copyable;
  const out = new Ctor(rows.length * stride);
  if (stride === 1) {
    for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  } else {
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]! * stride;
      (out as Uint8Array).set((values as Uint8Array).subarray(i, i + stride), k * stride);
    }
  }
  return flatData(data.type, rows.length, nulls, bitmap, out);
}

function takeBool(data: Data, rows: Int32Array, bitmap: Uint8Array | undefined, nulls: number): Data {
  const values = data.values as Uint8Array;
  const out = new Uint8Array((rows.length + 7) >> 3);
  for (let k = 0; k < rows.length; k++) {
    const p = data.offset + rows[k]!;
    if ((values[p >> 3]! >> (p & 7)) & 1) out[k >> 3]! |= 1 << (k & 7);
  }
  return flatData(data.type, rows.length, nulls, bitmap, out);
}

/** Types whose values sit in one fixed-width buffer, one `stride` per row. */
export function isFixedWidth(type: DataType): boolean {
  return (
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDate(type) ||
    DataType.isTimestamp(type) ||
    DataType.isTime(type) ||
    DataType.isDecimal(type) ||
    DataType.isInterval(type) ||
    DataType.isDuration(type) ||
    DataType.isFixedSizeBinary(type)
  );
}

/** Nested values as plain arrays, which builders take (they do not re-read a `Vector` value). */
function plain(value: unknown): unknown {
  if (value instanceof Vector) return [...value].map(plain);
  return value;
}

/**
 * The rows `rows` of one column chunk, in that order, as a new offset-0 chunk. Flat types are copied
 * buffer to buffer; nested and dictionary types go through a builder (correct, slower).
 */
export function takeData(data: Data, rows: Int32Array): Data {
  const type = data.type;
  if (DataType.isNull(type)) return makeData({ type, length: rows.length, nullCount: rows.length });
  const { bitmap, nulls } = takeValidity(data, rows);
  if (
    DataType.isUtf8(type) ||
    DataType.isLargeUtf8(type) ||
    DataType.isBinary(type) ||
    DataType.isLargeBinary(type)
  )
    return takeVariable(data, rows, bitmap, nulls);
  if (DataType.isBool(type)) return takeBool(data, rows, bitmap, nulls);
  if (isFixedWidth(type)) return takeFixed(data, rows, bitmap, nulls);
  const vector = new Vector([data]);
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (let k = 0; k < rows.length; k++) builder.append(plain(vector.get(rows[k]!)));
  return builder.finish().flush();
}

/** A new batch with the rows `rows` of `batch` (same schema). */
export function takeRows(batch: RecordBatch, rows: Int32Array): RecordBatch {
  if (rows.length === batch.numRows) {
    let identity = true;
    for (let k = 0; k < rows.length && identity; k++) identity = rows[k] === k;
    if (identity) return batch;
  }
  const children = (batch.data.children as Data[]).map((c) => takeData(c, rows));
  const data = makeData({
    type: new Struct(batch.schema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  });
  return new RecordBatch(batch.schema, data);
}

/** Rows whose `keep` byte is non-zero, as row indexes. */
export function selectedRows(keep: Uint8Array, length: number): Int32Array {
  let n = 0;
  for (let i = 0; i < length; i++) if (keep[i]) n++;
  const rows = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < length; i++) if (keep[i]) rows[k++] = i;
  return rows;
}
