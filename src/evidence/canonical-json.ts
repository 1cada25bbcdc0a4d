import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { SluiceError } from '../core/errors.js';

/**
 * The RFC 8785 (JCS) canonical form of a JSON value: keys sorted by UTF-16 code units, no
 * whitespace, ECMAScript number formatting. Throws `INTERNAL` for values JSON cannot carry
 * (NaN, Infinity, lone surrogates, bigint, cycles): evidence must never be silently altered.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new SluiceError(
      'INTERNAL',
      `A value cannot be put in canonical JSON (${(cause as Error).message ?? 'unknown reason'}). Evidence may hold only JSON values: finite numbers, strings, booleans, null, arrays and objects.`,
      { cause },
    );
  }
  if (text === undefined) {
    throw new SluiceError(
      'INTERNAL',
      `A value of type \`${typeof value}\` has no JSON form and cannot be put in canonical JSON.`,
    );
  }
  return text;
}

/** Lowercase hex SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 (hex) of the RFC 8785 canonical form of `value`. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
