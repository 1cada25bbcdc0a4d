import { type Data, DataType, makeBuilder } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { flatData } from './flat-data.js';
import { mapChunks } from './map-chunks.js';
import { allNullValidity } from './validity.js';

export const nullConfigSchema = z
  .strictObject({
    mask: z.literal('null').describe('Replaces every value by null; the column keeps its type.'),
  })
  .describe('Drop the values of a column but keep the column: every value becomes null.');

export type NullConfig = z.infer<typeof nullConfigSchema>;

export function nullData(data: Data): Data {
  const { type, length } = data;
  if (DataType.isNull(type)) return data;
  const validity = allNullValidity(length);
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    return flatData(type, length, length, validity, new Uint8Array(0), new Int32Array(length + 1));
  }
  if (DataType.isLargeUtf8(type) || DataType.isLargeBinary(type)) {
    return flatData(type, length, length, validity, new Uint8Array(0), new BigInt64Array(length + 1));
  }
  if (DataType.isBool(type))
    return flatData(type, length, length, validity, new Uint8Array((length + 7) >> 3));
  if (
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDecimal(type) ||
    DataType.isDate(type) ||
    DataType.isTime(type) ||
    DataType.isTimestamp(type) ||
    DataType.isDuration(type) ||
    DataType.isInterval(type) ||
    DataType.isFixedSizeBinary(type)
  ) {
    const ArrayType = type.ArrayType as new (n: number) => ArrayBufferView;
    return flatData(type, length, length, validity, new ArrayType(length * data.stride));
  }
  // Nested and view types are rare here; the builder knows their buffer layouts.
  const builder = makeBuilder({ type, nullValues: [null] });
  for (let i = 0; i < length; i++) builder.append(null);
  return builder.finish().flush();
}

/** `null`: every value becomes null, the type is kept and the field becomes nullable. */
export const nullMask: MaskDefinition<NullConfig> = {
  kind: 'mask',
  type: 'null',
  description: 'Replace every value by null; the column keeps its type and becomes nullable.',
  configSchema: nullConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: false },
  outputType(input) {
    return input;
  },
  outputNullable() {
    return true;
  },
  async create() {
    return (vector) => mapChunks(vector, nullData);
  },
};
