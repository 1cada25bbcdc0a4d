import { type Data, DataType, Int64, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { flatData } from './flat-data.js';
import { HmacSha256 } from './hmac-sha256.js';
import { macEach } from './mac-each.js';
import { mapChunks } from './map-chunks.js';
import { MAX_BASE32_LENGTH, MAX_HEX_LENGTH, writeBase32, writeHex, writeHexUnits } from './token-encoding.js';
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

export { macEach } from './mac-each.js';

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
  if (config.output === 'hex' && size % 2 === 0) {
    const units = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    const half = size >> 1;
    macEach(data, mac, (i) => writeHexUnits(out, units, i * half, size));
  } else if (config.output === 'hex') macEach(data, mac, (i) => writeHex(out, bytes, i * size, size));
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
