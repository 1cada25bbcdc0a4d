import { Data, type DataType } from 'apache-arrow';

const NO_NULLS = new Uint8Array(0);

/**
 * A new offset-0 Data for a flat (non-nested) type from buffers a kernel wrote. `nullBitmap`
 * undefined means no nulls. One constructor for every flat type, because `makeData`'s overloads
 * cannot be chosen for a type known only at run time.
 */
export function flatData(
  type: DataType,
  length: number,
  nullCount: number,
  nullBitmap: Uint8Array | undefined,
  values: ArrayBufferView,
  valueOffsets?: Int32Array | BigInt64Array,
): Data {
  const bitmap = nullCount > 0 && nullBitmap ? nullBitmap : NO_NULLS;
  return new Data(type, 0, length, Math.max(nullCount, 0), [valueOffsets, values, bitmap] as never);
}
