import { SluiceError, type WatermarkLiteral } from '../../src/index.js';

const CASTS: Record<WatermarkLiteral['kind'], string> = {
  integer: '::bigint',
  timestamp: '::timestamp',
  timestamptz: '::timestamptz',
  date: '::date',
  text: '',
};

/**
 * A watermark value as a PostgreSQL literal: an escape string (`E'…'`), so its meaning does not
 * depend on the server's `standard_conforming_strings`, cast to the column's type.
 */
export function postgresWatermarkLiteral(watermark: WatermarkLiteral): string {
  if (watermark.value.includes('\u0000')) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      'A watermark value contains a NUL character, which PostgreSQL cannot compare.',
    );
  }
  const escaped = watermark.value.replaceAll('\\', '\\\\').replaceAll("'", "''");
  return `E'${escaped}'${CASTS[watermark.kind]}`;
}
