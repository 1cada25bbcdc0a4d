import { type Data, DataType, type Field } from 'apache-arrow';
import { z } from 'zod';
import { typeToString } from '../core/arrow-util.js';
import type { MaskDefinition } from '../core/component-definition.js';
import { SluiceError } from '../core/errors.js';
import { flatData } from './flat-data.js';
import {
  createFpeFormat,
  cryptDigitsMany,
  cryptText,
  type FpeFormat,
  fpeLengthError,
  fpeTweakForColumn,
} from './fpe-format.js';
import { fpeIntegerData, fpeIntegerType } from './fpe-integer.js';
import { mapChunks } from './map-chunks.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const fpeConfigSchema = z
  .strictObject({
    mask: z
      .literal('fpe')
      .describe('Format-preserving encryption (NIST SP 800-38G Rev. 1 FF3-1): reversible with the key.'),
    key_id: z
      .string()
      .min(1)
      .describe('Id of the key in the key ring; the key must have 16, 24 or 32 bytes (AES-128/192/256).'),
    radix: z
      .int()
      .min(2)
      .max(36)
      .optional()
      .describe('Numerals `0-9` then `a-z` up to this radix (default 10). Not allowed with `alphabet`.'),
    alphabet: z
      .string()
      .min(2)
      .optional()
      .describe(
        'Custom numerals, each character once (e.g. `0123456789ABCDEF`). Characters outside it stay in place.',
      ),
    luhn: z
      .boolean()
      .default(false)
      .describe(
        'For card numbers: encrypt every digit but the last, then recompute the last as the Luhn check digit, so the output stays Luhn-valid. Decrypt with the same option.',
      ),
    tweak: z
      .string()
      .regex(/^[0-9a-fA-F]{14}$/, 'Give 14 hex digits (56 bits).')
      .optional()
      .describe(
        'FF3-1 tweak as 14 hex digits. Default: the first 7 bytes of SHA-256(`sluice/fpe/tweak/v1:<column>`), so each column gets its own permutation.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.radix !== undefined && config.alphabet !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['radix'], message: 'Give `radix` or `alphabet`, not both.' });
    }
    if (config.luhn && ((config.radix ?? 10) !== 10 || config.alphabet !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['luhn'],
        message: '`luhn` works on decimal digits: remove `radix` and `alphabet`.',
      });
    }
    if (config.alphabet !== undefined && new Set(config.alphabet).size !== [...config.alphabet].length) {
      ctx.addIssue({
        code: 'custom',
        path: ['alphabet'],
        message: 'Each character of `alphabet` must appear once.',
      });
    }
  })
  .describe(
    'Encrypt strings keeping their length, alphabet and separators, or integers keeping their type, sign and digit count (FF3-1); reversible with the key.',
  );

export type FpeConfig = z.infer<typeof fpeConfigSchema>;

const ACCEPTS = '`Utf8` strings and `Int32`, `Int64`, `Uint32` or `Uint64` integers';

/** Encrypts (or decrypts) one chunk. Exported for benchmarks and tests. */
export function fpeData(
  data: Data,
  format: FpeFormat,
  tweak: Uint8Array,
  decrypt: boolean,
  column?: string,
): Data {
  const { type, length } = data;
  if (fpeIntegerType(type)) return fpeIntegerData(data, format, tweak, decrypt);
  if (!DataType.isUtf8(type)) throw unsupportedTypeError('fpe', type, ACCEPTS);
  const src = data.values as Uint8Array;
  const srcOffsets = data.valueOffsets as Int32Array;
  const base = srcOffsets[0]!;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const ascii = format.ascii;
  if (!ascii) {
    // A non-ASCII alphabet: code points, through JS strings.
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(length + 1);
    let pos = 0;
    for (let i = 0; i < length; i++) {
      if (!nullBitmap || (nullBitmap[i >> 3]! >> (i & 7)) & 1) {
        const text = decoder.decode(src.subarray(srcOffsets[i]!, srcOffsets[i + 1]!));
        const bytes = encoder.encode(cryptText(format, text, tweak, decrypt, column));
        parts.push(bytes);
        pos += bytes.length;
      }
      offsets[i + 1] = pos;
    }
    const values = new Uint8Array(pos);
    let at = 0;
    for (const p of parts) {
      values.set(p, at);
      at += p.length;
    }
    return flatData(type, length, nullCount, nullBitmap, values, offsets);
  }
  // ASCII numerals: output bytes = input bytes with numerals replaced, so offsets only re-base.
  const end = srcOffsets[length]!;
  const out = src.slice(base, end);
  const offsets = new Int32Array(length + 1);
  for (let i = 0; i <= length; i++) offsets[i] = srcOffsets[i]! - base;
  // Numerals of a window of values gathered into one array, encrypted together, written back.
  const WINDOW = 8192;
  const starts = new Int32Array(WINDOW);
  const lens = new Int32Array(WINDOW);
  let digits = new Uint16Array(0);
  let positions = new Int32Array(0);
  for (let from = 0; from < length; from += WINDOW) {
    const to = Math.min(length, from + WINDOW);
    const bytes = offsets[to]! - offsets[from]!;
    if (digits.length < bytes) {
      digits = new Uint16Array(bytes);
      positions = new Int32Array(bytes);
    }
    let count = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      if (nullBitmap && ((nullBitmap[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      starts[count] = n;
      for (let p = offsets[i]!, e = offsets[i + 1]!; p < e; p++) {
        const d = ascii[out[p]!]!;
        if (d >= 0) {
          digits[n] = d;
          positions[n++] = p;
        }
      }
      lens[count] = n - starts[count]!;
      count++;
    }
    const bad = cryptDigitsMany(format, digits, starts, lens, count, tweak, decrypt);
    if (bad >= 0)
      throw fpeLengthError(format, Math.max(format.luhn ? lens[bad]! - 1 : lens[bad]!, 0), column);
    const symbols = format.symbols;
    for (let k = 0; k < n; k++) out[positions[k]!] = symbols[digits[k]!]!;
  }
  return flatData(type, length, nullCount, nullBitmap, out, offsets);
}

/** Creates the format of a config, checking the key size; shared by the mask and detokenization. */
export function fpeFormatFor(config: FpeConfig, key: Uint8Array): FpeFormat {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new SluiceError(
      'KEY_INVALID',
      `Key \`${config.key_id}\` has ${key.length} bytes; \`fpe\` needs 16, 24 or 32 (AES-128/192/256): \`openssl rand -hex 32\`.`,
      { context: { key_id: config.key_id, bytes: key.length } },
    );
  }
  return createFpeFormat(key, { radix: config.radix, alphabet: config.alphabet, luhn: config.luhn });
}

/** The tweak of a config for a column: the configured one, or derived from the column name. */
export function fpeTweakFor(config: FpeConfig, column: string): Uint8Array {
  return config.tweak === undefined
    ? fpeTweakForColumn(column)
    : new Uint8Array(Buffer.from(config.tweak, 'hex'));
}

/** `fpe`: FF3-1 format-preserving encryption of strings; reversible with the key and tweak. */
export const fpeMask: MaskDefinition<FpeConfig> = {
  kind: 'mask',
  type: 'fpe',
  description:
    'Encrypt strings with FF3-1 (NIST SP 800-38G Rev. 1) keeping length, alphabet and separators; reversible with the key.',
  configSchema: fpeConfigSchema,
  properties: { reversible: true, deterministic: true, keyed: true },
  outputType(input, config) {
    if (DataType.isUtf8(input)) return input;
    if (!DataType.isInt(input)) throw unsupportedTypeError('fpe', input, ACCEPTS);
    const name = typeToString(input);
    if (!fpeIntegerType(input)) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `Mask \`fpe\` cannot take a column of type \`${name}\`: FF3-1 encrypts at least 6 decimal digits and \`${name}\` holds at most 5. Use \`hmac\` (output \`int64\`) or \`noise\` for this column, or cast it to \`Int32\` or \`Int64\` in the query.`,
        { context: { mask: 'fpe', type: name } },
      );
    }
    if ((config.radix ?? 10) !== 10 || config.alphabet !== undefined || config.luhn) {
      throw new SluiceError(
        'SCHEMA_MISMATCH',
        `Mask \`fpe\` on the integer type \`${name}\` encrypts decimal digits: remove \`radix\`, \`alphabet\` and \`luhn\` (keep card numbers as strings to keep them Luhn-valid).`,
        { context: { mask: 'fpe', type: name } },
      );
    }
    return input;
  },
  keyId(config) {
    return config.key_id;
  },
  async create(config, ctx) {
    const key = await ctx.keys.get(config.key_id);
    const format = fpeFormatFor(config, key);
    key.fill(0);
    const tweaks = new Map<string, Uint8Array>();
    return (vector, field: Field | undefined) => {
      const column = field?.name ?? '';
      let tweak = tweaks.get(column);
      if (!tweak) {
        tweak = fpeTweakFor(config, column);
        tweaks.set(column, tweak);
      }
      const t = tweak;
      return mapChunks(vector, (data) => fpeData(data, format, t, false, field?.name));
    };
  },
};
