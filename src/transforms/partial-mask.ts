import { isAscii } from 'node:buffer';
import { type Data, DataType, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { flatData } from './flat-data.js';
import { mapChunks } from './map-chunks.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const partialConfigSchema = z
  .strictObject({
    mask: z
      .literal('partial')
      .describe('Keeps a few characters of every string and replaces the others; the length is kept.'),
    keep_first: z
      .int()
      .min(0)
      .optional()
      .describe('Characters (code points) kept at the start. Default 0. Not allowed with `format`.'),
    keep_last: z
      .int()
      .min(0)
      .optional()
      .describe(
        'Characters (code points) kept at the end. Default 0. A value no longer than `keep_first + keep_last` is masked entirely. Not allowed with `format`.',
      ),
    mask_char: z
      .string()
      .refine((s) => [...s].length === 1, { message: 'Give exactly one character.' })
      .default('*')
      .describe('The character that replaces each hidden character.'),
    format: z
      .enum(['email', 'phone'])
      .optional()
      .describe(
        '`email` keeps the first character of the local part and the whole domain (`j***@example.com`); a value without `@` is masked entirely. `phone` hides every digit but the last `keep_last` (default 4) and keeps `+`, spaces, brackets and dashes (`+1 (***) ***-4567`).',
      ),
  })
  .superRefine((config, ctx) => {
    const phoneKeepsLast = config.format === 'phone' && config.keep_first === undefined;
    if (
      config.format !== undefined &&
      !phoneKeepsLast &&
      (config.keep_first !== undefined || config.keep_last !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message:
          config.format === 'phone'
            ? '`format: phone` keeps the last `keep_last` digits; remove `keep_first`.'
            : '`format` decides which characters are kept; remove `keep_first` and `keep_last`.',
      });
    }
  })
  .describe('Show a few characters of a string and hide the rest, keeping its length.');

export type PartialConfig = z.infer<typeof partialConfigSchema>;

const ACCEPTS = '`Utf8` strings';
const AT = 0x40;

function isLead(byte: number): boolean {
  return (byte & 0xc0) !== 0x80;
}

/** Byte index just after the first `n` code points of `bytes[start, end)`. */
function afterCodePoints(bytes: Uint8Array, start: number, end: number, n: number): number {
  let p = start;
  for (let seen = 0; p < end; p++) {
    if (isLead(bytes[p]!)) {
      if (seen === n) break;
      seen++;
    }
  }
  return p;
}

/** Byte index where the last `n` code points of `bytes[start, end)` begin. */
function beforeLastCodePoints(bytes: Uint8Array, start: number, end: number, n: number): number {
  let p = end;
  for (let seen = 0; seen < n && p > start; ) {
    p--;
    if (isLead(bytes[p]!)) seen++;
  }
  return p;
}

function countCodePoints(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let p = start; p < end; p++) if (isLead(bytes[p]!)) n++;
  return n;
}

/** What `partialData` keeps and hides, resolved from a `PartialConfig`. */
export interface PartialPlan {
  keepFirst: number;
  keepLast: number;
  email: boolean;
  /** Hide all digits but the last `keepLast`, keep every other character. */
  phone?: boolean;
  maskChar: Uint8Array;
}

/** Masks one chunk. Exported for benchmarks and tests; use the mask definition otherwise. */
export function partialData(data: Data, plan: PartialPlan): Data {
  const { type, length } = data;
  if (!DataType.isUtf8(type)) throw unsupportedTypeError('partial', type, ACCEPTS);
  const src = data.values as Uint8Array;
  const srcOffsets = data.valueOffsets as Int32Array;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  return (
    partialInPlace(src, srcOffsets, length, nullBitmap, nullCount, plan) ??
    partialGeneral(src, srcOffsets, length, nullBitmap, nullCount, plan)
  );
}

function isDigit(b: number): boolean {
  return (b - 0x30) >>> 0 < 10;
}

/**
 * Writes the one-byte mask character over `out[from, to)`; `out32` views the same bytes (offset 0)
 * and `m4` is the character in all four bytes, so the aligned middle takes one store per 4 bytes.
 */
function hideBytes(
  out: Uint8Array,
  out32: Int32Array,
  from: number,
  to: number,
  m: number,
  m4: number,
): void {
  let p = from;
  while (p < to && (p & 3) !== 0) out[p++] = m;
  for (; p + 4 <= to; p += 4) out32[p >> 2] = m4;
  while (p < to) out[p++] = m;
}

/**
 * Index of the last `@` in `out[s, e)`, or -1; four bytes per step through `out32` (same bytes,
 * offset 0) with the zero-byte test on `word ^ 0x40404040`.
 */
function lastAt(out: Uint8Array, out32: Int32Array, s: number, e: number): number {
  let p = e;
  while (p > s && (p & 3) !== 0) if (out[--p] === AT) return p;
  while (p - 4 >= s) {
    const x = out32[(p >> 2) - 1]! ^ 0x40404040;
    if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
    p -= 4;
  }
  while (p > s) if (out[--p] === AT) return p;
  return -1;
}

/**
 * The fast path: when every hidden character becomes exactly as many bytes as it had (a one-byte
 * mask character and ASCII values, or `phone`, which hides only ASCII digits), the output is a copy
 * of the input bytes with some overwritten and the same offsets. Returns undefined otherwise.
 */
function partialInPlace(
  src: Uint8Array,
  srcOffsets: Int32Array,
  length: number,
  nullBitmap: Uint8Array | undefined,
  nullCount: number,
  plan: PartialPlan,
): Data | undefined {
  if (plan.maskChar.length !== 1) return undefined;
  const base = srcOffsets[0]!;
  const end = srcOffsets[length]!;
  if (!plan.phone && !isAscii(src.subarray(base, end))) return undefined;
  if (nullBitmap) {
    // Bytes behind a null slot would be copied through: leave such chunks to the general path.
    for (let i = 0; i < length; i++) {
      if (((nullBitmap[i >> 3]! >> (i & 7)) & 1) === 0 && srcOffsets[i + 1] !== srcOffsets[i])
        return undefined;
    }
  }
  let offsets: Int32Array;
  if (base === 0) offsets = srcOffsets.subarray(0, length + 1);
  else {
    offsets = new Int32Array(length + 1);
    for (let i = 0; i <= length; i++) offsets[i] = srcOffsets[i]! - base;
  }
  const m = plan.maskChar[0]!;
  const { keepFirst, keepLast } = plan;
  let out: Uint8Array;
  if (plan.phone) {
    out = src.slice(base, end);
    for (let i = 0, s = 0; i < length; i++) {
      const e = offsets[i + 1]!;
      // Walk back over the kept digits, then hide every digit before them.
      let p = e;
      for (let kept = 0; kept < keepLast && p > s; ) if (isDigit(out[--p]!)) kept++;
      for (let q = s; q < p; q++) {
        const b = out[q]!;
        out[q] = isDigit(b) ? m : b;
      }
      s = e;
    }
  } else if (plan.email) {
    // Room for whole words at the end, so the word view never needs a partial last word.
    out = new Uint8Array((end - base + 3) & ~3);
    out.set(src.subarray(base, end));
    const out32 = new Int32Array(out.buffer, 0, out.length >> 2);
    const m4 = m * 0x01010101;
    for (let i = 0, s = 0; i < length; i++) {
      const e = offsets[i + 1]!;
      const at = lastAt(out, out32, s, e);
      if (at < s) hideBytes(out, out32, s, e, m, m4);
      else hideBytes(out, out32, at - s <= 1 ? s : s + 1, at, m, m4);
      s = e;
    }
    out = out.subarray(0, end - base);
  } else {
    // Usually fewer characters are kept than hidden: start from all-hidden and copy the kept ones.
    out = new Uint8Array(end - base).fill(m);
    const keep = keepFirst + keepLast;
    for (let i = 0, s = 0; i < length; i++) {
      const e = offsets[i + 1]!;
      if (e - s > keep) {
        for (let p = s, q = s + base, stop = s + keepFirst; p < stop; p++, q++) out[p] = src[q]!;
        for (let p = e - keepLast, q = p + base; p < e; p++, q++) out[p] = src[q]!;
      }
      s = e;
    }
  }
  return flatData(new Utf8(), length, nullCount, nullBitmap, out, offsets);
}

function partialGeneral(
  src: Uint8Array,
  srcOffsets: Int32Array,
  length: number,
  nullBitmap: Uint8Array | undefined,
  nullCount: number,
  plan: PartialPlan,
): Data {
  const m = plan.maskChar;
  const ml = m.length;
  const m0 = m[0]!;
  // Every code point is at least one byte and becomes at most one mask character.
  const out = new Uint8Array((srcOffsets[length]! - srcOffsets[0]!) * Math.max(ml, 1));
  const offsets = new Int32Array(length + 1);
  let pos = 0;
  const copy = (from: number, to: number): void => {
    for (let p = from; p < to; p++) out[pos++] = src[p]!;
  };
  const hide = (count: number): void => {
    if (ml === 1) {
      out.fill(m0, pos, pos + count);
      pos += count;
    } else {
      for (let k = 0; k < count; k++) {
        out.set(m, pos);
        pos += ml;
      }
    }
  };
  for (let i = 0; i < length; i++) {
    if (!nullBitmap || (nullBitmap[i >> 3]! >> (i & 7)) & 1) {
      const start = srcOffsets[i]!;
      const end = srcOffsets[i + 1]!;
      if (plan.phone) {
        let digits = 0;
        for (let p = start; p < end; p++) if (src[p]! >= 0x30 && src[p]! <= 0x39) digits++;
        let seen = 0;
        let p = start;
        while (p < end) {
          const b = src[p]!;
          if (b >= 0x30 && b <= 0x39) {
            if (seen++ < digits - plan.keepLast) hide(1);
            else out[pos++] = b;
            p++;
          } else {
            const next = afterCodePoints(src, p, end, 1);
            copy(p, next);
            p = next;
          }
        }
      } else if (plan.email) {
        let at = -1;
        for (let p = end - 1; p >= start; p--) {
          if (src[p] === AT) {
            at = p;
            break;
          }
        }
        if (at < 0) hide(countCodePoints(src, start, end));
        else {
          const local = countCodePoints(src, start, at);
          if (local <= 1) hide(local);
          else {
            const first = afterCodePoints(src, start, at, 1);
            copy(start, first);
            hide(local - 1);
          }
          copy(at, end);
        }
      } else {
        const n = countCodePoints(src, start, end);
        if (n <= plan.keepFirst + plan.keepLast) hide(n);
        else {
          const head = afterCodePoints(src, start, end, plan.keepFirst);
          const tail = beforeLastCodePoints(src, start, end, plan.keepLast);
          copy(start, head);
          hide(n - plan.keepFirst - plan.keepLast);
          copy(tail, end);
        }
      }
    }
    offsets[i + 1] = pos;
  }
  // A multi-byte mask character made the buffer an over-estimate; do not keep the slack alive.
  const values = ml > 1 ? out.slice(0, pos) : out.subarray(0, pos);
  return flatData(new Utf8(), length, nullCount, nullBitmap, values, offsets);
}

/** `partial`: keeps the first and last characters of a string and hides the rest. */
export const partialMask: MaskDefinition<PartialConfig> = {
  kind: 'mask',
  type: 'partial',
  description:
    'Keep the first and last characters of a string (or the domain of an email) and hide the rest.',
  configSchema: partialConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: false },
  outputType(input) {
    if (!DataType.isUtf8(input)) throw unsupportedTypeError('partial', input, ACCEPTS);
    return input;
  },
  async create(config) {
    const phone = config.format === 'phone';
    const plan: PartialPlan = {
      keepFirst: config.keep_first ?? 0,
      keepLast: config.keep_last ?? (phone ? 4 : 0),
      email: config.format === 'email',
      phone,
      maskChar: new TextEncoder().encode(config.mask_char),
    };
    return (vector) => mapChunks(vector, (data) => partialData(data, plan));
  },
};
