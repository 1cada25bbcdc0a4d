import { type Data, DataType, type RecordBatch, Vector } from 'apache-arrow';
import { isFixedWidth } from './take-rows.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const NULL_BYTES = new Uint8Array([0xff, 0x00, 0xfe]);
const TRUE_BYTES = new Uint8Array([1]);
const FALSE_BYTES = new Uint8Array([0]);
const encoder = new TextEncoder();

/** MurmurHash3 x86 32-bit of `bytes[start, end)`. Chaining the seed combines columns. */
export function murmur3(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  const n = end - start;
  const blocks = start + (n & ~3);
  for (let i = start; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = n & 3;
  if (rest === 3) k ^= bytes[blocks + 2]! << 16;
  if (rest >= 2) k ^= bytes[blocks + 1]! << 8;
  if (rest >= 1) {
    k ^= bytes[blocks]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
}

/**
 * Folds the values of one column chunk into per-row 64-bit hash states (`h1`, `h2` from `base`).
 * Text and binary hash their bytes, fixed-width types their value bytes, other types their JSON.
 */
function foldData(data: Data, h1: Uint32Array, h2: Uint32Array, base: number): void {
  const { type, length } = data;
  const bitmap =
    data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : undefined;
  const valid = (i: number) =>
    !bitmap || ((bitmap[(data.offset + i) >> 3]! >> ((data.offset + i) & 7)) & 1) === 1;
  const fold = (r: number, bytes: Uint8Array, s: number, e: number) => {
    h1[r] = murmur3(bytes, s, e, h1[r]!);
    h2[r] = murmur3(bytes, s, e, h2[r]! ^ 0x9e3779b9);
  };
  if (
    DataType.isUtf8(type) ||
    DataType.isLargeUtf8(type) ||
    DataType.isBinary(type) ||
    DataType.isLargeBinary(type)
  ) {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const large = offsets instanceof BigInt64Array;
    for (let i = 0; i < length; i++) {
      if (!valid(i)) fold(base + i, NULL_BYTES, 0, 3);
      else if (large) fold(base + i, values, Number(offsets[i]!), Number(offsets[i + 1]!));
      else fold(base + i, values, offsets[i] as number, offsets[i + 1] as number);
    }
    return;
  }
  if (DataType.isBool(type)) {
    const values = data.values as Uint8Array;
    for (let i = 0; i < length; i++) {
      const p = data.offset + i;
      if (!valid(i)) fold(base + i, NULL_BYTES, 0, 3);
      else fold(base + i, (values[p >> 3]! >> (p & 7)) & 1 ? TRUE_BYTES : FALSE_BYTES, 0, 1);
    }
    return;
  }
  if (isFixedWidth(type)) {
    const values = data.values as Uint8Array;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const step = data.stride * values.BYTES_PER_ELEMENT;
    for (let i = 0; i < length; i++) {
      if (!valid(i)) fold(base + i, NULL_BYTES, 0, 3);
      else fold(base + i, bytes, i * step, (i + 1) * step);
    }
    return;
  }
  const vector = new Vector([data]);
  for (let i = 0; i < length; i++) {
    const v = vector.get(i);
    if (v === null || v === undefined) fold(base + i, NULL_BYTES, 0, 3);
    else {
      const bytes = encoder.encode(stringify(v));
      fold(base + i, bytes, 0, bytes.length);
    }
  }
}

/**
 * A 64-bit fingerprint per row over `columns` (two chained MurmurHash3 states), as `hi` and `lo`
 * words. Equal values in those columns give equal fingerprints; column boundaries are part of it.
 */
export function rowFingerprints(
  batch: RecordBatch,
  columns: string[],
  salt = 0,
): { hi: Uint32Array; lo: Uint32Array } {
  const hi = new Uint32Array(batch.numRows).fill((0x5eed ^ salt) >>> 0);
  const lo = new Uint32Array(batch.numRows).fill((0x1ce ^ Math.imul(salt, 0x85ebca6b)) >>> 0);
  for (const name of columns) {
    const column = batch.getChild(name);
    if (!column) continue;
    let base = 0;
    for (const data of column.data as Data[]) {
      foldData(data, hi, lo, base);
      base += data.length;
    }
  }
  return { hi, lo };
}
