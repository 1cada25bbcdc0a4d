import { inspect } from 'node:util';
import { ERROR_CODES } from '../core/error-codes.js';
import { SluiceError, toSluiceError } from '../core/errors.js';

/** Prints an error for people (stderr) and returns the exit code documented for its code. */
export function renderError(
  err: unknown,
  write: (text: string) => void = (t) => process.stderr.write(t),
): number {
  const error = toSluiceError(err);
  write(`error[${error.code}]: ${error.message}\n`);
  if (error.retryable && error.code !== 'CANCELLED') write('This failure may succeed if retried.\n');
  if (error.code === 'INTERNAL' && process.env['SLUICE_DEBUG']) write(`${inspect(error.cause)}\n`);
  return ERROR_CODES[error.code].exit;
}

export function errorJson(err: unknown): Record<string, unknown> {
  const error = err instanceof SluiceError ? err : toSluiceError(err);
  return error.toJSON();
}
