import type { DataType } from 'apache-arrow';
import { typeToString } from '../core/arrow-util.js';
import { SluiceError } from '../core/errors.js';

/** The `SCHEMA_MISMATCH` error a mask's `outputType` throws for a column type it cannot take. */
export function unsupportedTypeError(mask: string, type: DataType, accepts: string): SluiceError {
  const name = typeToString(type);
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `Mask \`${mask}\` cannot take a column of type \`${name}\`; it accepts ${accepts}. Choose another mask for this column, or cast the column in the query.`,
    { context: { mask, type: name } },
  );
}
