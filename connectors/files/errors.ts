import type { DataType } from 'apache-arrow';
import { SluiceError, toSluiceError } from '../../src/index.js';

export function unsupportedColumn(what: string, column: string, type: DataType): SluiceError {
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `Column \`${column}\` has Arrow type \`${String(type)}\`, which ${what} cannot write. Cast or drop the column before this output, or write Arrow or Parquet.`,
    { context: { output: what, column, arrow_type: String(type) } },
  );
}

/** File system failures keep their errno (ENOSPC becomes DISK_FULL); anything else is SINK_FAILED. */
export function writeFailure(err: unknown): SluiceError {
  return toSluiceError(err, 'SINK_FAILED');
}
