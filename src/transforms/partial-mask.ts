import { type Data, DataType } from 'apache-arrow';
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
  return flatData(type, length, nullCount, nullBitmap, values, offsets);
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
