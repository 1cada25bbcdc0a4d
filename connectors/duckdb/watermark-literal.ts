import { SluiceError, type WatermarkLiteral } from '../../src/index.js';

const TIMESTAMP_TYPES: Record<NonNullable<WatermarkLiteral['unit']>, string> = {
  second: 'TIMESTAMP_S',
  millisecond: 'TIMESTAMP_MS',
  microsecond: 'TIMESTAMP',
  nanosecond: 'TIMESTAMP_NS',
};

/**
 * A watermark value as a DuckDB literal cast to the column's type (at the column's own timestamp
 * precision, so no value is rounded). DuckDB strings have no backslash escapes: only `'` is doubled.
 */
export function duckdbWatermarkLiteral(watermark: WatermarkLiteral): string {
  if (watermark.value.includes('\u0000')) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      'A watermark value contains a NUL character, which cannot be compared.',
    );
  }
  const quoted = `'${watermark.value.replaceAll("'", "''")}'`;
  switch (watermark.kind) {
    case 'integer':
      return `CAST(${quoted} AS BIGINT)`;
    case 'timestamp':
      return `CAST(${quoted} AS ${TIMESTAMP_TYPES[watermark.unit ?? 'microsecond']})`;
    case 'timestamptz':
      return `CAST(${quoted} AS TIMESTAMPTZ)`;
    case 'date':
      return `CAST(${quoted} AS DATE)`;
    case 'text':
      return quoted;
  }
}
