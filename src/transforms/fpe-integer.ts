import { type Data, DataType, type Int } from 'apache-arrow';
import { SluiceError } from '../core/errors.js';
import { flatData } from './flat-data.js';
import type { FpeFormat } from './fpe-format.js';
import { rebasedValidity } from './validity.js';

// `fpe` on integer columns encrypts the decimal digits of the magnitude and keeps the sign, the
// type and the digit count. FF3-1 permutes digit strings of a fixed length, so a result with a
// leading zero or beyond the type's range is encrypted again ("cycle walking") until it lands in the
// value's own class; decryption walks back the same way. Classes, for a magnitude a:
//   a ≥ 100000 with d digits → d-digit magnitudes (no leading zero) up to the type's limit;
//   a < 100000 (FF3-1 needs 6 numerals) → 6-digit strings below 100000, i.e. small stays small
//   but may change its digit count (42 → 8817); on the negative side 0 is excluded.

/** The integer column types `fpe` takes: those that can hold a 6-digit number. */
export const FPE_INTEGER_TYPES = ['Int32', 'Int64', 'Uint32', 'Uint64'] as const;
export type FpeIntegerType = (typeof FPE_INTEGER_TYPES)[number];

/** Stride of a value's digits in the work buffer: the 20 digits of 2^64 − 1. */
const STRIDE = 20;
const SMALL = 100_000;
const SMALL_WIDTH = 6;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** A 64-bit integer whose high word is below 2^21 in magnitude is exact as a double. */
const EXACT_HIGH = 0x200000;

interface Limits {
  /** Largest positive magnitude, as decimal digits. */
  positive: string;
  /** Largest negative magnitude ("" for unsigned). */
  negative: string;
}

const LIMITS: Record<FpeIntegerType, Limits> = {
  Int32: { positive: '2147483647', negative: '2147483648' },
  Int64: { positive: '9223372036854775807', negative: '9223372036854775808' },
  Uint32: { positive: '4294967295', negative: '' },
  Uint64: { positive: '18446744073709551615', negative: '' },
};

/** The `FpeIntegerType` of an Arrow integer type, or undefined when it is too narrow. */
export function fpeIntegerType(type: DataType): FpeIntegerType | undefined {
  if (!DataType.isInt(type)) return undefined;
  const int = type as Int;
  if (int.bitWidth < 32) return undefined;
  return `${int.isSigned ? 'Int' : 'Uint'}${int.bitWidth}` as FpeIntegerType;
}

function withinLimit(digits: Uint8Array, s: number, w: number, limit: Uint8Array): boolean {
  if (w < limit.length) return true;
  if (w > limit.length) return false;
  for (let k = 0; k < w; k++) {
    const d = digits[s + k]!;
    const l = limit[k]!;
    if (d !== l) return d < l;
  }
  return true;
}

/** Minimum and maximum of the type, for messages and parsing. */
function bounds(type: FpeIntegerType): { min: bigint; max: bigint } {
  const l = LIMITS[type];
  return { min: l.negative === '' ? 0n : -BigInt(l.negative), max: BigInt(l.positive) };
}

/**
 * Encrypts or decrypts integers given as bigints (the library API and `pipeline detokenize` use
 * this with one value at a time; the mask uses `fpeIntegerData`).
 */
export function cryptIntegers(
  format: FpeFormat,
  type: FpeIntegerType,
  values: readonly bigint[],
  tweak: Uint8Array,
  decrypt: boolean,
): bigint[] {
  const { min, max } = bounds(type);
  for (const v of values) {
    if (v < min || v > max) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `An integer given to FPE is outside the range of \`${type}\` (${min} to ${max}); give the same integer type the column has.`,
        { context: { type } },
      );
    }
  }
  const count = values.length;
  const work = new Work(count);
  for (let j = 0; j < count; j++) work.load(j, values[j]!);
  work.crypt(format, LIMITS[type], tweak, decrypt);
  return values.map((_, j) => work.value(j));
}

/** Digits, widths and signs of a batch of integers. */
class Work {
  readonly digits: Uint8Array;
  readonly widths: Int32Array;
  readonly negative: Uint8Array;
  readonly #small: Uint8Array;
  count: number;

  constructor(capacity: number) {
    this.digits = new Uint8Array(capacity * STRIDE);
    this.widths = new Int32Array(capacity);
    this.negative = new Uint8Array(capacity);
    this.#small = new Uint8Array(capacity);
    this.count = capacity;
  }

  /** Loads value j from a magnitude below 2^53 (number) or any bigint. */
  load(j: number, value: number | bigint): void {
    const neg = value < 0;
    this.negative[j] = neg ? 1 : 0;
    const s = j * STRIDE;
    if (typeof value === 'number' || (value > -9007199254740991n && value < 9007199254740991n)) {
      let a = Math.abs(Number(value));
      const small = a < SMALL;
      this.#small[j] = small ? 1 : 0;
      let w = 0;
      for (let t = a; t >= 1; t = Math.floor(t / 10)) w++;
      if (small) w = SMALL_WIDTH;
      this.widths[j] = w;
      for (let k = s + w - 1; k >= s; k--) {
        const next = Math.floor(a / 10);
        this.digits[k] = a - next * 10;
        a = next;
      }
      return;
    }
    const text = (neg ? -(value as bigint) : (value as bigint)).toString();
    this.#small[j] = 0;
    this.widths[j] = text.length;
    for (let k = 0; k < text.length; k++) this.digits[s + k] = text.charCodeAt(k) - 48;
  }

  crypt(format: FpeFormat, limits: Limits, tweak: Uint8Array, decrypt: boolean): void {
    // Width −6 marks the small class so the domain test can tell it from real 6-digit values.
    const widths = Int32Array.from(this.widths.subarray(0, this.count), (w, j) => (this.#small[j] ? -w : w));
    cryptClasses(format, limits, this.digits, widths, this.negative, this.count, tweak, decrypt);
  }

  /** Value j as a number when it is below 2^53, else undefined. */
  number(j: number): number | undefined {
    const s = j * STRIDE;
    const w = this.widths[j]!;
    if (w > 15) return undefined;
    let a = 0;
    for (let k = s; k < s + w; k++) a = a * 10 + this.digits[k]!;
    return this.negative[j] ? -a : a;
  }

  value(j: number): bigint {
    const n = this.number(j);
    if (n !== undefined) return BigInt(n);
    const s = j * STRIDE;
    const w = this.widths[j]!;
    let hi = 0;
    for (let k = s; k < s + w - 9; k++) hi = hi * 10 + this.digits[k]!;
    let lo = 0;
    for (let k = s + w - 9; k < s + w; k++) lo = lo * 10 + this.digits[k]!;
    const a = BigInt(hi) * 1_000_000_000n + BigInt(lo);
    return this.negative[j] ? -a : a;
  }
}

/**
 * Encrypts (or decrypts) magnitudes in place, walking each until it is back in its class. Value j's
 * digits sit at `digits[j·20]`, most significant first; `marked[j]` is its width, negated for the
 * small class; `negative[j]` selects the negative range's limit.
 */
function cryptClasses(
  format: FpeFormat,
  limits: Limits,
  digits: Uint8Array,
  marked: Int32Array,
  negative: Uint8Array,
  count: number,
  tweak: Uint8Array,
  decrypt: boolean,
): void {
  const widths = Int32Array.from(marked, (w) => Math.abs(w));
  const small = Uint8Array.from(marked, (w) => (w < 0 ? 1 : 0));
  const positive = Uint8Array.from(limits.positive, (c) => c.charCodeAt(0) - 48);
  const negativeLimit = Uint8Array.from(limits.negative, (c) => c.charCodeAt(0) - 48);
  const pending = new Int32Array(count);
  for (let j = 0; j < count; j++) pending[j] = j;
  let left = count;
  const starts = new Int32Array(count);
  const lens = new Int32Array(count);
  while (left > 0) {
    for (let q = 0; q < left; q++) {
      starts[q] = pending[q]! * STRIDE;
      lens[q] = widths[pending[q]!]!;
    }
    format.cipher.cryptMany(digits, starts, lens, left, tweak, decrypt);
    let next = 0;
    for (let q = 0; q < left; q++) {
      const j = pending[q]!;
      const s = j * STRIDE;
      const w = widths[j]!;
      let inside: boolean;
      if (small[j]) {
        inside = digits[s] === 0;
        if (inside && negative[j]) {
          inside = false;
          for (let k = s + 1; k < s + w; k++) if (digits[k] !== 0) inside = true;
        }
      } else {
        inside = digits[s] !== 0 && withinLimit(digits, s, w, negative[j] ? negativeLimit : positive);
      }
      if (!inside) pending[next++] = j;
    }
    left = next;
  }
}

/** Encrypts (or decrypts) one chunk of an integer column; the type, nulls and signs are kept. */
export function fpeIntegerData(data: Data, format: FpeFormat, tweak: Uint8Array, decrypt: boolean): Data {
  const { type, length } = data;
  const name = fpeIntegerType(type);
  if (!name) throw new SluiceError('SCHEMA_MISMATCH', 'FPE integer kernel given a non-integer column.');
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const input = data.values as Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
  const ArrayType = type.ArrayType as new (
    n: number,
  ) => Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
  const output = new ArrayType(length);
  const wide = input instanceof BigInt64Array || input instanceof BigUint64Array;
  const signed = (type as Int).isSigned;
  // 64-bit values go through their 32-bit halves as doubles when exact (|v| < 2^53): no BigInt.
  const inWords =
    wide && LITTLE_ENDIAN ? new Int32Array(input.buffer, input.byteOffset, input.length * 2) : undefined;
  const outWords =
    wide && LITTLE_ENDIAN ? new Int32Array(output.buffer, output.byteOffset, length * 2) : undefined;
  const WINDOW = 8192;
  const work = new Work(Math.min(WINDOW, Math.max(length, 1)));
  const rows = new Int32Array(WINDOW);
  for (let from = 0; from < length; from += WINDOW) {
    const to = Math.min(length, from + WINDOW);
    let count = 0;
    for (let i = from; i < to; i++) {
      if (nullBitmap && ((nullBitmap[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      if (inWords) {
        const hi = inWords[2 * i + 1]!;
        const lo = inWords[2 * i]! >>> 0;
        if (signed ? hi >= -EXACT_HIGH && hi < EXACT_HIGH : hi >>> 0 < EXACT_HIGH) {
          work.load(count, (signed ? hi : hi >>> 0) * 0x100000000 + lo);
        } else work.load(count, input[i]!);
      } else work.load(count, input[i]!);
      rows[count++] = i;
    }
    work.count = count;
    work.crypt(format, LIMITS[name], tweak, decrypt);
    for (let j = 0; j < count; j++) {
      const i = rows[j]!;
      const n = work.number(j);
      if (!wide) (output as Int32Array)[i] = n!;
      else if (outWords && n !== undefined) {
        const hi = Math.floor(n / 0x100000000);
        outWords[2 * i] = (n - hi * 0x100000000) | 0;
        outWords[2 * i + 1] = hi | 0;
      } else (output as BigInt64Array)[i] = work.value(j);
    }
  }
  return flatData(type, length, nullCount, nullBitmap, output);
}

/** Parses a decimal integer token (library API / detokenization); never echoes the text. */
export function parseIntegerText(text: string, type: FpeIntegerType): bigint {
  if (!/^-?\d{1,20}$/.test(text)) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `A value given to FPE for an \`${type}\` column is not a decimal integer.`,
      { context: { type } },
    );
  }
  return BigInt(text);
}
