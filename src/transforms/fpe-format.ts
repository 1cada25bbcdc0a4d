import { SluiceError } from '../core/errors.js';
import { Ff3Cipher } from './ff3-1.js';
import { sha256 } from './sha256.js';

/** Numerals of the default alphabets: radix r uses the first r of these. */
export const FPE_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Options shared by the `fpe` mask and `fpeEncrypt`/`fpeDecrypt`. */
export interface FpeOptions {
  /** 2..36 with the default alphabet (`0-9` then `a-z`); defaults to 10, or the alphabet's size. */
  radix?: number | undefined;
  /** Custom numerals, each character once; characters outside it stay in place. */
  alphabet?: string | undefined;
  /** Decimal only: encrypt all digits but the last, then recompute the last as a Luhn check digit. */
  luhn?: boolean | undefined;
}

/** A key, an alphabet and the FF3-1 cipher over it, ready to encrypt many values. */
export interface FpeFormat {
  cipher: Ff3Cipher;
  /** Numeral → code point. */
  symbols: Uint32Array;
  /** Code point → numeral, or -1. */
  index: Map<number, number>;
  /** Byte → numeral or -1 when every numeral is ASCII (the fast path), else undefined. */
  ascii: Int16Array | undefined;
  luhn: boolean;
}

export function createFpeFormat(key: Uint8Array, options: FpeOptions = {}): FpeFormat {
  let alphabet: string;
  if (options.alphabet !== undefined) {
    alphabet = options.alphabet;
    const size = [...alphabet].length;
    if (options.radix !== undefined && options.radix !== size) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `FPE \`radix\` ${options.radix} does not match the ${size} characters of \`alphabet\`; remove \`radix\`.`,
      );
    }
  } else {
    const radix = options.radix ?? 10;
    if (!Number.isInteger(radix) || radix < 2 || radix > 36) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `FPE \`radix\` must be 2 to 36 with the default alphabet; got ${radix}. Give an \`alphabet\` for other numerals.`,
      );
    }
    alphabet = FPE_DIGITS.slice(0, radix);
  }
  const points = [...alphabet].map((c) => c.codePointAt(0)!);
  const index = new Map<number, number>();
  for (const [i, p] of points.entries()) index.set(p, i);
  if (index.size !== points.length || points.length < 2) {
    throw new SluiceError('CONFIG_INVALID', 'FPE `alphabet` needs at least 2 characters, each listed once.');
  }
  const luhn = options.luhn === true;
  if (luhn && alphabet !== FPE_DIGITS.slice(0, 10)) {
    throw new SluiceError(
      'CONFIG_INVALID',
      'FPE `luhn` works on decimal digits only: use radix 10 and no `alphabet`.',
    );
  }
  let ascii: Int16Array | undefined;
  if (points.every((p) => p < 0x80)) {
    ascii = new Int16Array(256).fill(-1);
    points.forEach((p, i) => {
      ascii![p] = i;
    });
  }
  return { cipher: new Ff3Cipher(key, points.length), symbols: Uint32Array.from(points), index, ascii, luhn };
}

/** The check digit that makes `payload` followed by it Luhn-valid. */
export function luhnCheckDigit(digits: Uint8Array | Uint16Array, n: number): number {
  let sum = 0;
  for (let j = 0; j < n; j++) {
    let d = digits[n - 1 - j]!;
    if (j % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Encrypts or decrypts the numerals `digits[0, n)` in place. With `luhn`, the last numeral is the
 * check digit: the others are encrypted and it is recomputed. Returns the numerals FF3-1 saw, or a
 * negative count when `n` is out of the standard's limits (the caller names the column).
 */
export function cryptDigits(
  format: FpeFormat,
  digits: Uint8Array | Uint16Array,
  n: number,
  tweak: Uint8Array,
  decrypt: boolean,
): number {
  const count = format.luhn ? n - 1 : n;
  const { min, max } = format.cipher.limits;
  if (count < min || count > max) return -Math.max(count, 0) - 1;
  format.cipher.crypt(digits, 0, count, tweak, decrypt);
  if (format.luhn) digits[count] = luhnCheckDigit(digits, count);
  return count;
}

/**
 * `cryptDigits` for many values: value j is `digits[starts[j], starts[j] + lens[j])`, all in place,
 * one block-cipher call per Feistel round for the whole batch. Returns -1, or the index of the
 * first value whose length is out of the standard's limits (nothing is encrypted then).
 */
export function cryptDigitsMany(
  format: FpeFormat,
  digits: Uint8Array | Uint16Array,
  starts: Int32Array,
  lens: Int32Array,
  count: number,
  tweak: Uint8Array,
  decrypt: boolean,
): number {
  const { min, max } = format.cipher.limits;
  const luhn = format.luhn;
  const sizes = luhn ? new Int32Array(count) : lens;
  for (let j = 0; j < count; j++) {
    const n = luhn ? lens[j]! - 1 : lens[j]!;
    if (n < min || n > max) return j;
    sizes[j] = n;
  }
  format.cipher.cryptMany(digits, starts, sizes, count, tweak, decrypt);
  if (luhn) {
    for (let j = 0; j < count; j++) {
      const s = starts[j]!;
      const n = sizes[j]!;
      digits[s + n] = luhnCheckDigit(digits.subarray(s, s + n), n);
    }
  }
  return -1;
}

/** The FF3-1 length error; never includes the value. */
export function fpeLengthError(format: FpeFormat, found: number, column: string | undefined): SluiceError {
  const { min, max } = format.cipher.limits;
  const where = column === undefined ? 'A value' : `A value of column \`${column}\``;
  return new SluiceError(
    'SCHEMA_MISMATCH',
    `${where} has ${found} characters to encrypt with FPE (radix ${format.symbols.length}${format.luhn ? ', Luhn check digit excluded' : ''}); FF3-1 needs ${min} to ${max}. Mask short or long values with \`hmac\` or \`partial\` instead, or filter them out in the query.`,
    { context: { ...(column === undefined ? {} : { column }), characters: found, min, max } },
  );
}

/** The default tweak of a column: the first 7 bytes of SHA-256(`sluice/fpe/tweak/v1:` + column name). */
export function fpeTweakForColumn(column: string): Uint8Array {
  return sha256(new TextEncoder().encode(`sluice/fpe/tweak/v1:${column}`)).slice(0, 7);
}

/** Encrypts a JS string, keeping characters outside the alphabet in place. */
export function cryptText(
  format: FpeFormat,
  text: string,
  tweak: Uint8Array,
  decrypt: boolean,
  column?: string,
): string {
  const chars = [...text];
  const positions: number[] = [];
  const digits = new Uint16Array(chars.length);
  chars.forEach((c, i) => {
    const d = format.index.get(c.codePointAt(0)!);
    if (d !== undefined) {
      digits[positions.length] = d;
      positions.push(i);
    }
  });
  const done = cryptDigits(format, digits, positions.length, tweak, decrypt);
  if (done < 0) throw fpeLengthError(format, -done - 1, column);
  positions.forEach((p, k) => {
    chars[p] = String.fromCodePoint(format.symbols[digits[k]!]!);
  });
  return chars.join('');
}
