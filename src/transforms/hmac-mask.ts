import { type Data, DataType, type Int, Int64, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { DECIMAL_SCRATCH, EXACT_HIGH_WORD, writeDecimal, writeDecimalBig } from './canonical-integer.js';
import { flatData } from './flat-data.js';
import { HmacSha256 } from './hmac-sha256.js';
import { mapChunks } from './map-chunks.js';
import { MAX_BASE32_LENGTH, MAX_HEX_LENGTH, writeBase32, writeHex } from './token-encoding.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const hmacConfigSchema = z
  .strictObject({
    mask: z
      .literal('hmac')
      .describe('Replaces every value by a deterministic keyed token: HMAC-SHA256 of the value.'),
    key_id: z
      .string()
      .min(1)
      .describe(
        'Id of the key in the key ring (`keys:`). The same key gives the same token, so masked keys still join.',
      ),
    output: z
      .enum(['hex', 'base32', 'int64'])
      .default('hex')
      .describe(
        'Token form: `hex` or `base32` (lower case, no padding) strings, or `int64`: the first 8 bytes of the MAC as a non-negative Int64, so integer keys stay integers.',
      ),
    length: z
      .int()
      .min(16)
      .max(MAX_HEX_LENGTH)
      .default(32)
      .describe(
        `Characters of the token kept for \`hex\` (16 to ${MAX_HEX_LENGTH}) and \`base32\` (16 to ${MAX_BASE32_LENGTH}). Not used for \`int64\`.`,
      ),
  })
  .superRefine((config, ctx) => {
    if (config.output === 'base32' && config.length > MAX_BASE32_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        path: ['length'],
        message: `A base32 token has at most ${MAX_BASE32_LENGTH} characters; set \`length\` to ${MAX_BASE32_LENGTH} or less.`,
      });
    }
  })
  .describe('Deterministic keyed tokenization (HMAC-SHA256); joins across tables and types keep working.');

export type HmacConfig = z.infer<typeof hmacConfigSchema>;

const ACCEPTS = '`Utf8`, `LargeUtf8` and integer types';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Computes the MAC of every valid value of `data` (strings as UTF-8, integers as decimal text) and
 * calls `write(i)` with the MAC in `mac.out`. Shared by the masks seeded by a value's MAC.
 */
export function macEach(data: Data, mac: HmacSha256, write: (i: number) => void): void {
  const { type, length } = data;
  const valid = rebasedValidity(data);
  if (DataType.isUtf8(type)) {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(values, offsets[i]!, offsets[i + 1]!);
      write(i);
    }
    return;
  }
  if (DataType.isLargeUtf8(type)) {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as BigInt64Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(values, Number(offsets[i]!), Number(offsets[i + 1]!));
      write(i);
    }
    return;
  }
  if (DataType.isInt(type)) {
    const scratch = new Uint8Array(DECIMAL_SCRATCH);
    const int = type as Int;
    if (int.bitWidth === 64) {
      const values = data.values as BigInt64Array | BigUint64Array;
      const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
      for (let i = 0; i < length; i++) {
        if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
        let start: number;
        const hi = LITTLE_ENDIAN ? words[2 * i + 1]! : EXACT_HIGH_WORD;
        if (int.isSigned ? hi >= -EXACT_HIGH_WORD && hi < EXACT_HIGH_WORD : hi >>> 0 < EXACT_HIGH_WORD) {
          start = writeDecimal((int.isSigned ? hi : hi >>> 0) * 0x100000000 + (words[2 * i]! >>> 0), scratch);
        } else {
          start = writeDecimalBig(values[i]!, scratch);
        }
        mac.update(scratch, start, DECIMAL_SCRATCH);
        write(i);
      }
      return;
    }
    const values = data.values as
      | Int8Array
      | Int16Array
      | Int32Array
      | Uint8Array
      | Uint16Array
      | Uint32Array;
    for (let i = 0; i < length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      mac.update(scratch, writeDecimal(values[i]!, scratch), DECIMAL_SCRATCH);
      write(i);
    }
    return;
  }
  throw unsupportedTypeError('hmac', type, ACCEPTS);
}

/** Tokenizes one chunk. Exported for benchmarks and tests; use the mask definition otherwise. */
export function hmacData(data: Data, mac: HmacSha256, config: HmacConfig): Data {
  const { length } = data;
  const nullBitmap = rebasedValidity(data);
  const nullCount = nullBitmap ? data.nullCount : 0;
  const out = mac.out;
  if (config.output === 'int64') {
    const tokens = new BigInt64Array(length);
    const words = new Int32Array(tokens.buffer);
    macEach(data, mac, (i) => {
      if (LITTLE_ENDIAN) {
        words[2 * i] = out[1]!;
        words[2 * i + 1] = out[0]! & 0x7fffffff;
      } else {
        tokens[i] = (BigInt(out[0]! & 0x7fffffff) << 32n) | BigInt(out[1]! >>> 0);
      }
    });
    return flatData(new Int64(), length, nullCount, nullBitmap, tokens);
  }
  const size = config.length;
  const offsets = new Int32Array(length + 1);
  for (let i = 0; i <= length; i++) offsets[i] = i * size;
  const bytes = new Uint8Array(length * size);
  if (config.output === 'hex') macEach(data, mac, (i) => writeHex(out, bytes, i * size, size));
  else macEach(data, mac, (i) => writeBase32(out, bytes, i * size, size));
  return flatData(new Utf8(), length, nullCount, nullBitmap, bytes, offsets);
}

function acceptsType(type: DataType): boolean {
  return DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isInt(type);
}

/** `hmac`: deterministic keyed token, HMAC-SHA256(key, canonical bytes of the value). */
export const hmacMask: MaskDefinition<HmacConfig> = {
  kind: 'mask',
  type: 'hmac',
  description:
    'Replace every value by a keyed HMAC-SHA256 token; the same value and key give the same token, so joins keep working.',
  configSchema: hmacConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: true },
  outputType(input, config) {
    if (!acceptsType(input)) throw unsupportedTypeError('hmac', input, ACCEPTS);
    return config.output === 'int64' ? new Int64() : new Utf8();
  },
  keyId(config) {
    return config.key_id;
  },
  async create(config, ctx) {
    const mac = new HmacSha256(await ctx.keys.get(config.key_id));
    return (vector) => mapChunks(vector, (data) => hmacData(data, mac, config));
  },
};
