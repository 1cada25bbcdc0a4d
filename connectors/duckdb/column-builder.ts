import { type Data, type DataType, type Field, makeData, Type } from 'apache-arrow';
import type { DuckDBColumnData, FixedArray, PlainItem } from './driver.js';

/**
 * Accumulates DuckDB column values into Arrow buffers (typed arrays + validity bitmap) and hands
 * them out as Arrow `Data`. Fixed-width columns are copied buffer-to-buffer; other types go
 * value by value into flat buffers, never through per-value Arrow builders.
 */
export interface ColumnBuilder {
  readonly type: DataType;
  readonly length: number;
  appendItem(item: PlainItem): void;
  appendColumn(column: DuckDBColumnData, start: number, count: number): void;
  /** Everything appended since the last flush, as Arrow Data; the builder starts over empty. */
  flush(): Data;
}

export function createColumnBuilder(type: DataType, capacity: number): ColumnBuilder {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
      return new FixedBuilder(type, capacity);
    case Type.Bool:
      return new BoolBuilder(type, capacity);
    case Type.Decimal:
      return new DecimalBuilder(type, capacity);
    case Type.Utf8:
    case Type.Binary:
      return new VarBuilder(type, capacity);
    case Type.List:
      return new ListBuilder(type, capacity);
    case Type.Null:
      return new NullBuilder(type);
    default:
      throw new Error(`No column builder for Arrow type ${String(type)}.`);
  }
}

class Validity {
  bits: Uint8Array;
  length = 0;
  nulls = 0;

  constructor(capacity: number) {
    this.bits = new Uint8Array(Math.max(8, Math.ceil(capacity / 8)));
  }

  #reserve(extra: number): void {
    const need = Math.ceil((this.length + extra) / 8);
    if (need <= this.bits.length) return;
    const next = new Uint8Array(Math.max(need, this.bits.length * 2));
    next.set(this.bits);
    this.bits = next;
  }

  push(valid: boolean): void {
    this.#reserve(1);
    const i = this.length++;
    if (valid) this.bits[i >> 3] = (this.bits[i >> 3] as number) | (1 << (i & 7));
    else this.nulls++;
  }

  /** Copies `count` bits from `source` starting at bit `start`; null source = all valid. */
  pushBits(source: Uint8Array | null, start: number, count: number): void {
    this.#reserve(count);
    const bits = this.bits;
    let at = this.length;
    for (let i = start; i < start + count; i++, at++) {
      const valid = source === null || ((source[i >> 3] as number) & (1 << (i & 7))) !== 0;
      if (valid) bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
      else this.nulls++;
    }
    this.length = at;
  }

  take(): { nullCount: number; nullBitmap?: Uint8Array } {
    const nullCount = this.nulls;
    const bitmap = nullCount > 0 ? this.bits.slice(0, Math.ceil(this.length / 8)) : undefined;
    this.bits.fill(0);
    this.length = 0;
    this.nulls = 0;
    return bitmap === undefined ? { nullCount } : { nullCount, nullBitmap: bitmap };
  }
}

type FixedCtor = { new (length: number): FixedArray };

class FixedBuilder implements ColumnBuilder {
  readonly type: DataType;
  readonly #ctor: FixedCtor;
  #values: FixedArray;
  readonly #validity: Validity;
  readonly #zero: number | bigint;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    this.#ctor = type.ArrayType as FixedCtor;
    this.#values = new this.#ctor(Math.max(capacity, 8));
    this.#validity = new Validity(capacity);
    this.#zero = this.#values instanceof BigInt64Array || this.#values instanceof BigUint64Array ? 0n : 0;
  }

  get length(): number {
    return this.#validity.length;
  }

  #reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.#values.length) return;
    const next = new this.#ctor(Math.max(need, this.#values.length * 2));
    next.set(this.#values as never);
    this.#values = next;
  }

  appendItem(item: PlainItem): void {
    this.#reserve(1);
    (this.#values as unknown as (number | bigint)[])[this.length] =
      item === null ? this.#zero : (item as number);
    this.#validity.push(item !== null);
  }

  appendColumn(column: DuckDBColumnData, start: number, count: number): void {
    const source = column.fixedValues();
    if (source === null || source.constructor !== this.#ctor) {
      for (let i = start; i < start + count; i++) this.appendItem(column.item(i));
      return;
    }
    this.#reserve(count);
    const at = this.length;
    this.#values.set(source.subarray(start, start + count) as never, at);
    const bits = column.validityBits();
    if (bits !== null) {
      // Slots under nulls hold whatever DuckDB left there; zero them so output files are deterministic.
      const values = this.#values as unknown as (number | bigint)[];
      for (let i = 0; i < count; i++) {
        const bit = start + i;
        if (((bits[bit >> 3] as number) & (1 << (bit & 7))) === 0) values[at + i] = this.#zero;
      }
    }
    this.#validity.pushBits(bits, start, count);
  }

  flush(): Data {
    const length = this.length;
    const data = this.#values.slice(0, length);
    this.#values.fill(this.#zero as never);
    return makeData({ type: this.type as never, length, ...this.#validity.take(), data } as never);
  }
}

class BoolBuilder implements ColumnBuilder {
  readonly type: DataType;
  #values: Validity;
  readonly #validity: Validity;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    this.#values = new Validity(capacity);
    this.#validity = new Validity(capacity);
  }

  get length(): number {
    return this.#validity.length;
  }

  appendItem(item: PlainItem): void {
    this.#values.push(item === true);
    this.#validity.push(item !== null);
  }

  appendColumn(column: DuckDBColumnData, start: number, count: number): void {
    for (let i = start; i < start + count; i++) this.appendItem(column.item(i));
  }

  flush(): Data {
    const length = this.length;
    const data = this.#values.bits.slice(0, Math.ceil(length / 8));
    this.#values.take();
    return makeData({ type: this.type as never, length, ...this.#validity.take(), data } as never);
  }
}

class DecimalBuilder implements ColumnBuilder {
  readonly type: DataType;
  #words: BigUint64Array;
  readonly #validity: Validity;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    this.#words = new BigUint64Array(Math.max(capacity, 8) * 2);
    this.#validity = new Validity(capacity);
  }

  get length(): number {
    return this.#validity.length;
  }

  appendItem(item: PlainItem): void {
    const i = this.length;
    if ((i + 1) * 2 > this.#words.length) {
      const next = new BigUint64Array(this.#words.length * 2);
      next.set(this.#words);
      this.#words = next;
    }
    if (item !== null) {
      const v = item as bigint;
      this.#words[i * 2] = BigInt.asUintN(64, v);
      this.#words[i * 2 + 1] = BigInt.asUintN(64, v >> 64n);
    }
    this.#validity.push(item !== null);
  }

  appendColumn(column: DuckDBColumnData, start: number, count: number): void {
    for (let i = start; i < start + count; i++) this.appendItem(column.item(i));
  }

  flush(): Data {
    const length = this.length;
    const data = new Uint32Array(this.#words.slice(0, length * 2).buffer);
    this.#words.fill(0n);
    return makeData({ type: this.type as never, length, ...this.#validity.take(), data } as never);
  }
}

const encoder = new TextEncoder();

class VarBuilder implements ColumnBuilder {
  readonly type: DataType;
  #offsets: Int32Array;
  #bytes: Uint8Array;
  #used = 0;
  readonly #validity: Validity;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    this.#offsets = new Int32Array(Math.max(capacity, 8) + 1);
    this.#bytes = new Uint8Array(Math.max(capacity, 8) * 16);
    this.#validity = new Validity(capacity);
  }

  get length(): number {
    return this.#validity.length;
  }

  #reserveBytes(extra: number): void {
    if (this.#used + extra <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.#used + extra, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = next;
  }

  appendItem(item: PlainItem): void {
    const i = this.length;
    if (i + 2 > this.#offsets.length) {
      const next = new Int32Array(this.#offsets.length * 2);
      next.set(this.#offsets);
      this.#offsets = next;
    }
    if (typeof item === 'string') {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      this.#reserveBytes(item.length * 3);
      this.#used += encoder.encodeInto(item, this.#bytes.subarray(this.#used)).written;
    } else if (item instanceof Uint8Array) {
      this.#reserveBytes(item.length);
      this.#bytes.set(item, this.#used);
      this.#used += item.length;
    }
    this.#offsets[i + 1] = this.#used;
    this.#validity.push(item !== null);
  }

  appendColumn(column: DuckDBColumnData, start: number, count: number): void {
    for (let i = start; i < start + count; i++) this.appendItem(column.item(i));
  }

  flush(): Data {
    const length = this.length;
    const valueOffsets = this.#offsets.slice(0, length + 1);
    const data = this.#bytes.slice(0, this.#used);
    this.#offsets.fill(0);
    this.#used = 0;
    return makeData({
      type: this.type as never,
      length,
      ...this.#validity.take(),
      valueOffsets,
      data,
    } as never);
  }
}

class ListBuilder implements ColumnBuilder {
  readonly type: DataType;
  readonly #child: ColumnBuilder;
  #offsets: Int32Array;
  readonly #validity: Validity;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    const childField = (type.children as Field[])[0] as Field;
    this.#child = createColumnBuilder(childField.type, capacity);
    this.#offsets = new Int32Array(Math.max(capacity, 8) + 1);
    this.#validity = new Validity(capacity);
  }

  get length(): number {
    return this.#validity.length;
  }

  appendItem(item: PlainItem): void {
    const i = this.length;
    if (i + 2 > this.#offsets.length) {
      const next = new Int32Array(this.#offsets.length * 2);
      next.set(this.#offsets);
      this.#offsets = next;
    }
    if (Array.isArray(item)) for (const v of item) this.#child.appendItem(v);
    this.#offsets[i + 1] = this.#child.length;
    this.#validity.push(item !== null);
  }

  appendColumn(column: DuckDBColumnData, start: number, count: number): void {
    for (let i = start; i < start + count; i++) this.appendItem(column.item(i));
  }

  flush(): Data {
    const length = this.length;
    const valueOffsets = this.#offsets.slice(0, length + 1);
    this.#offsets.fill(0);
    const child = this.#child.flush();
    return makeData({
      type: this.type as never,
      length,
      ...this.#validity.take(),
      valueOffsets,
      child,
    } as never);
  }
}

class NullBuilder implements ColumnBuilder {
  readonly type: DataType;
  length = 0;

  constructor(type: DataType) {
    this.type = type;
  }

  appendItem(): void {
    this.length++;
  }

  appendColumn(_column: DuckDBColumnData, _start: number, count: number): void {
    this.length += count;
  }

  flush(): Data {
    const length = this.length;
    this.length = 0;
    return makeData({ type: this.type as never, length, nullCount: length } as never);
  }
}
