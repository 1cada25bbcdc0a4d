import { SluiceError } from '../core/errors.js';
import { createFpeFormat, cryptText, type FpeOptions, fpeTweakForColumn } from './fpe-format.js';
import { cryptIntegers, FPE_INTEGER_TYPES, type FpeIntegerType, parseIntegerText } from './fpe-integer.js';

/** Key and tweak of FF3-1 as hex, plus the alphabet options of the `fpe` mask. */
export interface FpeParams extends FpeOptions {
  /**
   * The integer type of the column, when the values are integers masked by `fpe` on an integer
   * column (`Int32`, `Int64`, `Uint32`, `Uint64`): texts are then decimal integers of that type.
   */
  integer?: FpeIntegerType | undefined;
  /** AES key as hex: 32, 48 or 64 hex digits (AES-128/192/256). */
  key: string;
  /** 56-bit FF3-1 tweak as 14 hex digits. The `fpe` mask's default is `fpeColumnTweak(column)`. */
  tweak: string;
}

/** A reusable FF3-1 cipher for one key, tweak and alphabet. */
export interface Fpe {
  encrypt(text: string): string;
  decrypt(text: string): string;
}

function hexBytes(text: string, what: string, sizes: number[]): Uint8Array {
  const bytes = /^(?:[0-9a-fA-F]{2})*$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  if (!bytes || !sizes.includes(bytes.length)) {
    throw new SluiceError(
      what === 'key' ? 'KEY_INVALID' : 'CONFIG_INVALID',
      `The FPE ${what} must be ${sizes.map((s) => s * 2).join(', ')} hex digits.`,
    );
  }
  return new Uint8Array(bytes);
}

/**
 * FF3-1 (NIST SP 800-38G Rev. 1) with the same rules as the `fpe` mask: numerals are `0-9` then
 * `a-z` up to `radix` (or `alphabet`), other characters stay in place, length is kept.
 *
 * @example
 * const fpe = createFpe({ key: '2de79d232df5585d68ce47882ae256d6', tweak: 'cbd09280979564' });
 * fpe.decrypt(fpe.encrypt('123-45-6789')) === '123-45-6789';
 */
export function createFpe(params: FpeParams): Fpe {
  const key = hexBytes(params.key, 'key', [16, 24, 32]);
  const tweak = hexBytes(params.tweak, 'tweak', [7]);
  const format = createFpeFormat(key, params);
  key.fill(0);
  const integer = params.integer;
  if (integer !== undefined) {
    if (!FPE_INTEGER_TYPES.includes(integer)) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `FPE \`integer\` must be one of ${FPE_INTEGER_TYPES.map((t) => `\`${t}\``).join(', ')}.`,
      );
    }
    if (format.symbols.length !== 10 || format.luhn) {
      throw new SluiceError(
        'CONFIG_INVALID',
        'FPE on integers encrypts decimal digits: remove `radix`, `alphabet` and `luhn`.',
      );
    }
    const crypt = (text: string, decrypt: boolean): string =>
      String(cryptIntegers(format, integer, [parseIntegerText(text, integer)], tweak, decrypt)[0]);
    return { encrypt: (text) => crypt(text, false), decrypt: (text) => crypt(text, true) };
  }
  return {
    encrypt: (text) => cryptText(format, text, tweak, false),
    decrypt: (text) => cryptText(format, text, tweak, true),
  };
}

/** Encrypts `text` with FF3-1; see `createFpe`. @example fpeEncrypt({ key, tweak, radix: 10 }, '4111111111111111') */
export function fpeEncrypt(params: FpeParams, text: string): string {
  return createFpe(params).encrypt(text);
}

/** Reverses `fpeEncrypt` (and the `fpe` mask) with the same key, tweak and options. */
export function fpeDecrypt(params: FpeParams, text: string): string {
  return createFpe(params).decrypt(text);
}

/** The tweak the `fpe` mask uses for `column` when its config has none, as hex. */
export function fpeColumnTweak(column: string): string {
  return Buffer.from(fpeTweakForColumn(column)).toString('hex');
}
