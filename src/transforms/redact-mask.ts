import { type Data, DataType } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { flatData } from './flat-data.js';
import { mapChunks } from './map-chunks.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const redactConfigSchema = z
  .strictObject({
    mask: z.literal('redact').describe('Replaces every non-null value by a constant of the same type.'),
    value: z
      .string()
      .default('[REDACTED]')
      .describe(
        'Constant for string and binary columns. Numbers become 0, booleans false, dates and timestamps the epoch.',
      ),
  })
  .describe('Replace every value by a constant of the column type; nulls stay null.');

export type RedactConfig = z.infer<typeof redactConfigSchema>;

const ACCEPTS =
  'strings, binary, booleans, integers, floats, decimals, dates, times, timestamps, durations and fixed-size binary';

type Kind = 'bytes' | 'large-bytes' | 'bool' | 'fixed';

function kindOf(type: DataType): Kind | undefined {
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return 'bytes';
  if (DataType.isLargeUtf8(type) || DataType.isLargeBinary(type)) return 'large-bytes';
  if (DataType.isBool(type)) return 'bool';
  if (
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDecimal(type) ||
    DataType.isDate(type) ||
    DataType.isTime(type) ||
    DataType.isTimestamp(type) ||
    DataType.isDuration(type) ||
    DataType.isFixedSizeBinary(type)
  ) {
    return 'fixed';
  }
  return undefined;
}

/** Counts valid slots; `valid` is a re-based bitmap or undefined for "no nulls". */
function countValid(valid: Uint8Array | undefined, length: number): number {
  if (!valid) return length;
  let n = 0;
  for (let i = 0; i < length; i++) n += (valid[i >> 3]! >> (i & 7)) & 1;
  return n;
}

/** Writes `constant` `count` times, back to back, by doubling copies. */
function repeatBytes(constant: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(constant.length * count);
  if (out.length === 0) return out;
  out.set(constant, 0);
  let filled = constant.length;
  while (filled < out.length) {
    const n = Math.min(filled, out.length - filled);
    out.copyWithin(filled, 0, n);
    filled += n;
  }
  return out;
}

export function redactData(data: Data, constant: Uint8Array): Data {
  const { type, length } = data;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const kind = kindOf(type);
  switch (kind) {
    case 'bytes':
    case 'large-bytes': {
      const size = constant.length;
      const values = repeatBytes(constant, countValid(nullBitmap, length));
      if (kind === 'bytes') {
        const offsets = new Int32Array(length + 1);
        let pos = 0;
        for (let i = 0; i < length; i++) {
          if (!nullBitmap || (nullBitmap[i >> 3]! >> (i & 7)) & 1) pos += size;
          offsets[i + 1] = pos;
        }
        return flatData(type, length, nullCount, nullBitmap, values, offsets);
      }
      const offsets = new BigInt64Array(length + 1);
      let pos = 0;
      for (let i = 0; i < length; i++) {
        if (!nullBitmap || (nullBitmap[i >> 3]! >> (i & 7)) & 1) pos += size;
        offsets[i + 1] = BigInt(pos);
      }
      return flatData(type, length, nullCount, nullBitmap, values, offsets);
    }
    case 'bool':
      return flatData(type, length, nullCount, nullBitmap, new Uint8Array((length + 7) >> 3));
    case 'fixed': {
      const ArrayType = type.ArrayType as new (n: number) => ArrayBufferView;
      return flatData(type, length, nullCount, nullBitmap, new ArrayType(length * data.stride));
    }
    case undefined:
      throw unsupportedTypeError('redact', type, ACCEPTS);
  }
}

/** `redact`: every non-null value becomes a constant of the same type. */
export const redactMask: MaskDefinition<RedactConfig> = {
  kind: 'mask',
  type: 'redact',
  description: 'Replace every value by a constant of the column type; nulls stay null.',
  configSchema: redactConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: false },
  outputType(input) {
    if (!kindOf(input)) throw unsupportedTypeError('redact', input, ACCEPTS);
    return input;
  },
  async create(config) {
    const constant = new TextEncoder().encode(config.value);
    return (vector) => mapChunks(vector, (data) => redactData(data, constant));
  },
};
