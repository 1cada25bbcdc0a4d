import type { Data, DataType, RecordBatch, Schema } from 'apache-arrow';
import type { ColumnFacts } from './events.js';

/** Arrow type as stable text for events and manifests, e.g. `Utf8`, `Timestamp<MICROSECOND, UTC>`. */
export function typeToString(type: DataType): string {
  return String(type);
}

export function schemaColumns(schema: Schema): ColumnFacts[] {
  return schema.fields.map((f) => ({ name: f.name, type: typeToString(f.type), nullable: f.nullable }));
}

/** Bytes held by a batch's buffers (values, offsets, validity), counted once per buffer. */
export function batchBytes(batch: RecordBatch): number {
  let total = 0;
  const visit = (data: Data): void => {
    total += data.values?.byteLength ?? 0;
    total += data.valueOffsets?.byteLength ?? 0;
    total += data.nullBitmap?.byteLength ?? 0;
    for (const child of data.children) visit(child);
  };
  visit(batch.data);
  return total;
}
