import {
  type Data,
  type DataType,
  type List,
  makeData,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import * as text from './pg-text.js';
import { UnrepresentableValueError } from './pg-text.js';
import { type ColumnType, parseArrayText } from './types.js';

/**
 * Accumulates one column of a batch straight into Arrow buffers, from either PostgreSQL text
 * (cursor path) or binary COPY fields (fast path); both produce the same buffers.
 */
export interface ColumnBuilder {
  readonly type: DataType;
  readonly length: number;
  appendNull(): void;
  appendText(value: string): void;
  appendBinary(buf: Buffer, offset: number, length: number): void;
  /**
   * Appends `count` binary fields of `buf`: field `k` starts at `starts[from + k]` and has
   * `lengths[from + k]` bytes, or is NULL when that is negative.
   */
  appendFields(buf: Buffer, starts: Int32Array, lengths: Int32Array, from: number, count: number): void;
  /** The column so far as Arrow data; the builder starts over empty. */
  finish(): Data;
}

export { UnrepresentableValueError } from './pg-text.js';

/**
 * A builder for `type` producing data of `arrow` (pass the schema's field type, so that batches and
 * schema share one instance: dictionary ids must match).
 */
export function createColumnBuilder(type: ColumnType, arrow: DataType, capacity: number): ColumnBuilder {
  switch (type.kind) {
    case 'int16':
      return new Int16Builder(arrow, capacity);
    case 'int32':
      return new Int32Builder(arrow, capacity);
    case 'int64':
      return new Int64Builder(arrow, capacity, 0, (s) => BigInt(s));
    case 'time':
      return new Int64Builder(arrow, capacity, 0, (s) => BigInt(text.parseTimeMicros(s)));
    case 'timestamp':
    case 'timestamptz':
      return new Int64Builder(arrow, capacity, PG_EPOCH_MICROS, text.parseTimestampMicros);
    case 'float32':
      return new Float32Builder(arrow, capacity);
    case 'float64':
      return new Float64Builder(arrow, capacity);
    case 'bool':
      return new BoolBuilder(arrow, capacity);
    case 'date':
      return new DateBuilder(arrow, capacity);
    case 'interval':
      return new IntervalBuilder(arrow, capacity);
    case 'decimal':
      return new DecimalBuilder(arrow, capacity, type.scale);
    case 'enum':
      return new EnumBuilder(arrow, capacity, type.labels);
    case 'list':
      return new ListBuilder(
        arrow,
        capacity,
        createColumnBuilder(type.element, (arrow as List).children[0]?.type as DataType, capacity * 4),
      );
    case 'bytea':
      return new BytesBuilder(arrow, capacity, 'bytea');
    case 'uuid':
      return new BytesBuilder(arrow, capacity, 'uuid');
    case 'jsonb':
      return new BytesBuilder(arrow, capacity, 'jsonb');
    case 'utf8':
    case 'json':
    case 'numeric':
    case 'text':
      return new BytesBuilder(arrow, capacity, 'utf8');
  }
}

// makeData's overloads are keyed by the concrete type; builders hold it as a plain DataType.
const mk = (props: Record<string, unknown>): Data => makeData(props as never) as unknown as Data;

// Microseconds (and days) between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_MICROS = 946_684_800_000_000;
const PG_EPOCH_DAYS = 10_957;
const TWO_32 = 4_294_967_296;

abstract class BaseBuilder implements ColumnBuilder {
  readonly type: DataType;
  length = 0;
  protected capacity: number;
  protected nulls = 0;
  /** Validity bits; allocated at the first NULL (a batch without NULLs has no bitmap). */
  protected validity: Uint8Array = NO_BITS;

  constructor(type: DataType, capacity: number) {
    this.type = type;
    this.capacity = Math.max(capacity, 8);
  }

  appendNull(): void {
    this.reserve(1);
    if (this.nulls === 0) this.startValidity();
    this.nulls++;
    this.length++;
    this.afterNull();
  }

  abstract appendText(value: string): void;
  abstract appendBinary(buf: Buffer, offset: number, length: number): void;
  abstract finish(): Data;

  /**
   * The generic loop, one `appendBinary` call per field. The builders of the common types repeat
   * this loop with their store written out: a shared loop calling back per field would be one
   * polymorphic call site again, which is what column-wise appending is there to avoid.
   */
  appendFields(buf: Buffer, starts: Int32Array, lengths: Int32Array, from: number, count: number): void {
    for (let k = from; k < from + count; k++) {
      const length = lengths[k] as number;
      if (length < 0) this.appendNull();
      else this.appendBinary(buf, starts[k] as number, length);
    }
  }

  /** Marks the next slot valid and returns its index. */
  protected next(): number {
    this.reserve(1);
    const i = this.length++;
    this.valid(i);
    return i;
  }

  /** Marks slot `i` (already counted in `length`) valid; for bulk appends after `reserve`. */
  protected valid(i: number): void {
    if (this.nulls > 0) this.validity[i >> 3]! |= 1 << (i & 7);
  }

  protected afterNull(): void {}

  /** Makes room for `n` more slots. */
  protected reserve(n: number): void {
    if (this.length + n <= this.capacity) return;
    while (this.length + n > this.capacity) this.capacity *= 2;
    if (this.validity !== NO_BITS) {
      const bits = new Uint8Array(Math.ceil(this.capacity / 8));
      bits.set(this.validity);
      this.validity = bits;
    }
    this.grow(this.capacity);
  }

  /** The first NULL: every slot so far is valid. */
  private startValidity(): void {
    const bits = new Uint8Array(Math.ceil(this.capacity / 8));
    const length = this.length;
    bits.fill(0xff, 0, length >> 3);
    if (length & 7) bits[length >> 3] = (1 << (length & 7)) - 1;
    this.validity = bits;
  }

  /** Grows the value buffers to hold `capacity` slots. */
  protected abstract grow(capacity: number): void;

  protected common(): { length: number; nullCount: number; nullBitmap?: Uint8Array } {
    const out = {
      length: this.length,
      nullCount: this.nulls,
      ...(this.nulls > 0 ? { nullBitmap: this.validity.subarray(0, Math.ceil(this.length / 8)) } : {}),
    };
    this.length = 0;
    this.nulls = 0;
    this.validity = NO_BITS;
    return out;
  }
}

const NO_BITS = new Uint8Array(0);

function grown<T extends Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array>(
  old: T,
  size: number,
  make: (n: number) => T,
): T {
  const next = make(size);
  next.set(old as never);
  return next;
}

class Int16Builder extends BaseBuilder {
  private values: Int16Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Int16Array(this.capacity);
  }
  appendText(value: string): void {
    const i = this.next();
    this.values[i] = Number(value);
  }
  appendBinary(buf: Buffer, offset: number): void {
    const i = this.next();
    this.values[i] = buf.readInt16BE(offset);
  }
  protected grow(capacity: number): void {
    this.values = grown(this.values, capacity, (n) => new Int16Array(n));
  }
  finish(): Data {
    const length = this.length;
    const data = this.values.subarray(0, length);
    const out = mk({ type: this.type, ...this.common(), data });
    this.values = new Int16Array(this.capacity);
    return out;
  }
}

class Int32Builder extends BaseBuilder {
  private values: Int32Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Int32Array(this.capacity);
  }
  protected put(value: number): void {
    const i = this.next();
    this.values[i] = value;
  }
  appendText(value: string): void {
    this.put(Number(value));
  }
  appendBinary(buf: Buffer, offset: number): void {
    this.put(buf.readInt32BE(offset));
  }
  protected grow(capacity: number): void {
    this.values = grown(this.values, capacity, (n) => new Int32Array(n));
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    const out = mk({ type: this.type, ...this.common(), data });
    this.values = new Int32Array(this.capacity);
    return out;
  }
}

class DateBuilder extends Int32Builder {
  override appendText(value: string): void {
    this.put(text.parseDateDays(value));
  }
  override appendBinary(buf: Buffer, offset: number): void {
    const days = buf.readInt32BE(offset);
    if (days === 0x7fffffff || days === -0x80000000) throw new UnrepresentableValueError('an infinite date');
    this.put(days + PG_EPOCH_DAYS);
  }
}

/** 64-bit values kept as (lo, hi) int32 pairs so the binary path never allocates a BigInt. */
class Int64Builder extends BaseBuilder {
  private words: Int32Array;
  private readonly offsetLo: number;
  private readonly offsetHi: number;
  private readonly checkInfinity: boolean;
  constructor(
    type: DataType,
    capacity: number,
    offset: number,
    private readonly parse: (value: string) => bigint,
  ) {
    super(type, capacity);
    this.words = new Int32Array(this.capacity * 2);
    this.offsetHi = Math.floor(offset / TWO_32);
    this.offsetLo = offset - this.offsetHi * TWO_32;
    this.checkInfinity = offset !== 0;
  }
  appendText(value: string): void {
    const i = this.next();
    new BigInt64Array(this.words.buffer, this.words.byteOffset + i * 8, 1)[0] = this.parse(value);
  }
  override appendFields(
    buf: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    count: number,
  ): void {
    this.reserve(count);
    for (let k = from; k < from + count; k++) {
      if ((lengths[k] as number) < 0) this.appendNull();
      else this.store(buf, starts[k] as number);
    }
  }
  appendBinary(buf: Buffer, offset: number): void {
    this.reserve(1);
    this.store(buf, offset);
  }
  /** Decodes the big-endian int64 at `offset` (plus the epoch offset) into the next slot; room reserved. */
  private store(buf: Buffer, offset: number): void {
    const hi =
      ((buf[offset] as number) << 24) |
      ((buf[offset + 1] as number) << 16) |
      ((buf[offset + 2] as number) << 8) |
      (buf[offset + 3] as number);
    const lo =
      (buf[offset + 4] as number) * 0x1000000 +
      (((buf[offset + 5] as number) << 16) |
        ((buf[offset + 6] as number) << 8) |
        (buf[offset + 7] as number));
    if (
      this.checkInfinity &&
      ((hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0))
    ) {
      throw new UnrepresentableValueError('an infinite timestamp');
    }
    const i = this.length++;
    this.valid(i);
    const sum = lo + this.offsetLo;
    const carry = sum >= TWO_32 ? 1 : 0;
    this.words[2 * i] = sum - carry * TWO_32;
    this.words[2 * i + 1] = hi + this.offsetHi + carry;
  }
  protected grow(capacity: number): void {
    this.words = grown(this.words, capacity * 2, (n) => new Int32Array(n));
  }
  finish(): Data {
    const data = new BigInt64Array(this.words.buffer, this.words.byteOffset, this.length);
    const out = mk({ type: this.type, ...this.common(), data });
    this.words = new Int32Array(this.capacity * 2);
    return out;
  }
}

class Float32Builder extends BaseBuilder {
  private values: Float32Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Float32Array(this.capacity);
  }
  appendText(value: string): void {
    const i = this.next();
    this.values[i] = Number(value);
  }
  appendBinary(buf: Buffer, offset: number): void {
    const i = this.next();
    this.values[i] = buf.readFloatBE(offset);
  }
  protected grow(capacity: number): void {
    this.values = grown(this.values, capacity, (n) => new Float32Array(n));
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    const out = mk({ type: this.type, ...this.common(), data });
    this.values = new Float32Array(this.capacity);
    return out;
  }
}

class Float64Builder extends BaseBuilder {
  private values: Float64Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Float64Array(this.capacity);
  }
  appendText(value: string): void {
    const i = this.next();
    this.values[i] = Number(value);
  }
  appendBinary(buf: Buffer, offset: number): void {
    const i = this.next();
    this.values[i] = buf.readDoubleBE(offset);
  }
  override appendFields(
    buf: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    count: number,
  ): void {
    this.reserve(count);
    for (let k = from; k < from + count; k++) {
      if ((lengths[k] as number) < 0) {
        this.appendNull();
        continue;
      }
      const i = this.length++;
      this.valid(i);
      this.values[i] = buf.readDoubleBE(starts[k] as number);
    }
  }
  protected grow(capacity: number): void {
    this.values = grown(this.values, capacity, (n) => new Float64Array(n));
  }
  finish(): Data {
    const data = this.values.subarray(0, this.length);
    const out = mk({ type: this.type, ...this.common(), data });
    this.values = new Float64Array(this.capacity);
    return out;
  }
}

class BoolBuilder extends BaseBuilder {
  private bits: Uint8Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.bits = new Uint8Array(Math.ceil(this.capacity / 8));
  }
  private set(on: boolean): void {
    const i = this.next();
    if (on) this.bits[i >> 3]! |= 1 << (i & 7);
  }
  appendText(value: string): void {
    this.set(value === 't');
  }
  appendBinary(buf: Buffer, offset: number): void {
    this.set(buf[offset] !== 0);
  }
  override appendFields(
    buf: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    count: number,
  ): void {
    this.reserve(count);
    for (let k = from; k < from + count; k++) {
      if ((lengths[k] as number) < 0) {
        this.appendNull();
        continue;
      }
      const i = this.length++;
      this.valid(i);
      if (buf[starts[k] as number] !== 0) this.bits[i >> 3]! |= 1 << (i & 7);
    }
  }
  protected grow(capacity: number): void {
    const bits = new Uint8Array(Math.ceil(capacity / 8));
    bits.set(this.bits);
    this.bits = bits;
  }
  finish(): Data {
    const data = this.bits.subarray(0, Math.ceil(this.length / 8));
    const out = mk({ type: this.type, ...this.common(), data });
    this.bits = new Uint8Array(Math.ceil(this.capacity / 8));
    return out;
  }
}

/** Arrow interval (months int32, days int32, nanoseconds int64) per slot. */
class IntervalBuilder extends BaseBuilder {
  private words: Int32Array;
  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.words = new Int32Array(this.capacity * 4);
  }
  private put(months: number, days: number, micros: bigint): void {
    const i = this.next();
    this.words[4 * i] = months;
    this.words[4 * i + 1] = days;
    new BigInt64Array(this.words.buffer, this.words.byteOffset + i * 16 + 8, 1)[0] = micros * 1000n;
  }
  appendText(value: string): void {
    const { months, days, micros } = text.parseIsoInterval(value);
    this.put(months, days, micros);
  }
  appendBinary(buf: Buffer, offset: number): void {
    this.put(buf.readInt32BE(offset + 12), buf.readInt32BE(offset + 8), buf.readBigInt64BE(offset));
  }
  protected grow(capacity: number): void {
    this.words = grown(this.words, capacity * 4, (n) => new Int32Array(n));
  }
  finish(): Data {
    const data = this.words.subarray(0, this.length * 4);
    const out = mk({ type: this.type, ...this.common(), data });
    this.words = new Int32Array(this.capacity * 4);
    return out;
  }
}

/** Decimal128: four little-endian uint32 words per slot, two's complement. */
class DecimalBuilder extends BaseBuilder {
  private words: Uint32Array;
  constructor(
    type: DataType,
    capacity: number,
    private readonly scale: number,
  ) {
    super(type, capacity);
    this.words = new Uint32Array(this.capacity * 4);
  }
  appendText(value: string): void {
    const i = this.next();
    text.writeDecimal128(value, this.scale, this.words, i * 4);
  }
  appendBinary(buf: Buffer, offset: number): void {
    const i = this.next();
    text.writeDecimal128FromBinary(buf, offset, this.scale, this.words, i * 4);
  }
  override appendFields(
    buf: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    count: number,
  ): void {
    this.reserve(count);
    for (let k = from; k < from + count; k++) {
      if ((lengths[k] as number) < 0) {
        this.appendNull();
        continue;
      }
      const i = this.length++;
      this.valid(i);
      text.writeDecimal128FromBinary(buf, starts[k] as number, this.scale, this.words, i * 4);
    }
  }
  protected grow(capacity: number): void {
    this.words = grown(this.words, capacity * 4, (n) => new Uint32Array(n));
  }
  finish(): Data {
    const data = this.words.subarray(0, this.length * 4);
    const out = mk({ type: this.type, ...this.common(), data });
    this.words = new Uint32Array(this.capacity * 4);
    return out;
  }
}

/** Enum labels as Dictionary<Int32, Utf8>; the dictionary is the enum's labels in sort order. */
class EnumBuilder extends BaseBuilder {
  private indices: Int32Array;
  private readonly index: Map<string, number>;
  private readonly dictionary: Vector;
  constructor(type: DataType, capacity: number, labels: string[]) {
    super(type, capacity);
    this.indices = new Int32Array(this.capacity);
    this.index = new Map(labels.map((l, i) => [l, i]));
    this.dictionary = vectorFromArray(labels, new Utf8());
  }
  appendText(value: string): void {
    const at = this.index.get(value);
    if (at === undefined)
      throw new UnrepresentableValueError('an enum label added after the schema was read');
    const i = this.next();
    this.indices[i] = at;
  }
  appendBinary(buf: Buffer, offset: number, length: number): void {
    this.appendText(buf.toString('utf8', offset, offset + length));
  }
  protected grow(capacity: number): void {
    this.indices = grown(this.indices, capacity, (n) => new Int32Array(n));
  }
  finish(): Data {
    const data = this.indices.subarray(0, this.length);
    const out = mk({ type: this.type, ...this.common(), data, dictionary: this.dictionary });
    this.indices = new Int32Array(this.capacity);
    return out;
  }
}

/**
 * Copies `buf[start, end)` to `out` at `at` and returns where it ended. Short values go four bytes
 * at a time through DataViews (unaligned access is inlined), which beats Buffer#copy's native call
 * for them (and a byte loop by ~25 % on the decoding of a text-heavy table); long ones use it.
 */
function copyBytes(
  buf: Buffer,
  src: DataView,
  start: number,
  end: number,
  out: Buffer,
  dst: DataView,
  at: number,
): number {
  if (end - start >= 64) return at + buf.copy(out, at, start, end);
  let p = start;
  let to = at;
  for (; p + 4 <= end; p += 4, to += 4) dst.setUint32(to, src.getUint32(p));
  for (; p < end; p++) out[to++] = buf[p] as number;
  return to;
}

type BytesMode = 'utf8' | 'bytea' | 'uuid' | 'jsonb';
const HEX = '0123456789abcdef';

/** Variable-length values (Utf8, Binary): int32 offsets plus one growing byte buffer. */
class BytesBuilder extends BaseBuilder {
  private offsets: Int32Array;
  private bytes: Buffer;
  private used = 0;
  constructor(
    type: DataType,
    capacity: number,
    private readonly mode: BytesMode,
  ) {
    super(type, capacity);
    this.offsets = new Int32Array(this.capacity + 1);
    this.bytes = Buffer.alloc(this.capacity * 16);
  }
  protected override afterNull(): void {
    this.offsets[this.length] = this.used;
  }
  private room(n: number): void {
    const need = this.used + n;
    if (need <= this.bytes.length) return;
    const next = Buffer.alloc(Math.max(need, this.bytes.length * 2));
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }
  private close(i: number): void {
    this.offsets[i + 1] = this.used;
  }
  appendText(value: string): void {
    const i = this.next();
    if (this.mode === 'bytea') {
      // bytea_output = hex: `\x0a0b`
      const n = (value.length - 2) >> 1;
      this.room(n);
      this.used += this.bytes.write(value.slice(2), this.used, n, 'hex');
    } else {
      const n = Buffer.byteLength(value, 'utf8');
      this.room(n);
      this.used += this.bytes.write(value, this.used, n, 'utf8');
    }
    this.close(i);
  }
  appendBinary(buf: Buffer, offset: number, length: number): void {
    const i = this.next();
    if (this.mode === 'uuid') {
      this.room(36);
      const out = this.bytes;
      let p = this.used;
      for (let k = 0; k < 16; k++) {
        if (k === 4 || k === 6 || k === 8 || k === 10) out[p++] = 45; // -
        const b = buf[offset + k]!;
        out[p++] = HEX.charCodeAt(b >> 4);
        out[p++] = HEX.charCodeAt(b & 15);
      }
      this.used = p;
    } else {
      // jsonb's binary form is a version byte (1) followed by the text.
      const skip = this.mode === 'jsonb' ? 1 : 0;
      const n = length - skip;
      this.room(n);
      const from = offset + skip;
      if (n < 64) {
        // A byte loop beats Buffer#copy's native call for short values.
        const out = this.bytes;
        const at = this.used;
        for (let k = 0; k < n; k++) out[at + k] = buf[from + k] as number;
      } else buf.copy(this.bytes, this.used, from, from + n);
      this.used += n;
    }
    this.close(i);
  }
  override appendFields(
    buf: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    count: number,
  ): void {
    if (this.mode === 'uuid') {
      super.appendFields(buf, starts, lengths, from, count);
      return;
    }
    // jsonb's binary form is a version byte (1) followed by the text.
    const skip = this.mode === 'jsonb' ? 1 : 0;
    let total = 0;
    let nulls = 0;
    for (let k = from; k < from + count; k++) {
      const length = lengths[k] as number;
      if (length < 0) nulls++;
      else total += length - skip;
    }
    this.reserve(count);
    this.room(total);
    const out = this.bytes;
    const offsets = this.offsets;
    const src = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let at = this.used;
    if (nulls === 0 && this.nulls === 0) {
      // No NULLs so far nor here: no validity bits to keep.
      let i = this.length;
      for (let k = from; k < from + count; k++) {
        const start = (starts[k] as number) + skip;
        at = copyBytes(buf, src, start, start + (lengths[k] as number) - skip, out, dst, at);
        offsets[++i] = at;
      }
      this.length = i;
      this.used = at;
      return;
    }
    for (let k = from; k < from + count; k++) {
      const length = lengths[k] as number;
      if (length < 0) {
        this.used = at;
        this.appendNull();
        continue;
      }
      const i = this.length++;
      this.valid(i);
      const start = (starts[k] as number) + skip;
      at = copyBytes(buf, src, start, start + length - skip, out, dst, at);
      offsets[i + 1] = at;
    }
    this.used = at;
  }
  protected grow(capacity: number): void {
    this.offsets = grown(this.offsets, capacity + 1, (n) => new Int32Array(n));
  }
  finish(): Data {
    const valueOffsets = this.offsets.subarray(0, this.length + 1);
    const data = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.used);
    const out = mk({ type: this.type, ...this.common(), valueOffsets, data });
    this.offsets = new Int32Array(this.capacity + 1);
    this.bytes = Buffer.alloc(Math.max(this.bytes.length, 64));
    this.used = 0;
    return out;
  }
}

/** One-dimensional arrays as List<element>. */
class ListBuilder extends BaseBuilder {
  private offsets: Int32Array;
  constructor(
    type: DataType,
    capacity: number,
    private readonly child: ColumnBuilder,
  ) {
    super(type, capacity);
    this.offsets = new Int32Array(this.capacity + 1);
  }
  protected override afterNull(): void {
    this.offsets[this.length] = this.child.length;
  }
  appendText(value: string): void {
    const i = this.next();
    let elements: (string | null)[];
    try {
      elements = parseArrayText(value);
    } catch {
      throw new UnrepresentableValueError('a multi-dimensional or malformed array');
    }
    for (const e of elements) {
      if (e === null) this.child.appendNull();
      else this.child.appendText(e);
    }
    this.offsets[i + 1] = this.child.length;
  }
  appendBinary(buf: Buffer, offset: number): void {
    const i = this.next();
    const ndim = buf.readInt32BE(offset);
    if (ndim > 1) throw new UnrepresentableValueError('a multi-dimensional array');
    if (ndim === 1) {
      const count = buf.readInt32BE(offset + 12);
      let p = offset + 20;
      for (let k = 0; k < count; k++) {
        const len = buf.readInt32BE(p);
        p += 4;
        if (len < 0) this.child.appendNull();
        else {
          this.child.appendBinary(buf, p, len);
          p += len;
        }
      }
    }
    this.offsets[i + 1] = this.child.length;
  }
  protected grow(capacity: number): void {
    this.offsets = grown(this.offsets, capacity + 1, (n) => new Int32Array(n));
  }
  finish(): Data {
    const valueOffsets = this.offsets.subarray(0, this.length + 1);
    const child = this.child.finish();
    const out = mk({ type: this.type, ...this.common(), valueOffsets, child });
    this.offsets = new Int32Array(this.capacity + 1);
    return out;
  }
}
