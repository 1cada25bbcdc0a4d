import { type Data, DataType, type Float, type Int, type RecordBatch, Vector } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { SluiceError } from '../core/errors.js';
import { flatData } from './flat-data.js';
import { macEach } from './hmac-mask.js';
import { HmacSha256 } from './hmac-sha256.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const noiseConfigSchema = z
  .strictObject({
    mask: z.literal('noise').describe('Adds random noise drawn from a keyed, reproducible seed to numbers.'),
    key_id: z.string().min(1).describe('Id of the key in the key ring that seeds the noise.'),
    distribution: z
      .enum(['laplace', 'gaussian'])
      .default('laplace')
      .describe('`laplace` (scale b: density ∝ exp(-|x|/b)) or `gaussian` (scale σ: standard deviation).'),
    scale: z
      .number()
      .positive()
      .optional()
      .describe("Laplace b or Gaussian σ, in the column's unit. Give `scale` or (Laplace only) `epsilon`."),
    epsilon: z
      .number()
      .positive()
      .optional()
      .describe('Laplace only: privacy parameter ε; the scale is `sensitivity / epsilon`.'),
    sensitivity: z
      .number()
      .positive()
      .default(1)
      .describe('Laplace only, with `epsilon`: how much one person can change the value (Δ).'),
    by: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Column that identifies the row (e.g. a primary key): the noise of a row is seeded by the HMAC of its `by` value, so reruns give the same output and equal values in different rows get different noise. Without `by`, the seed is the value itself.',
      ),
  })
  .superRefine((config, ctx) => {
    if ((config.scale === undefined) === (config.epsilon === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'Give either `scale` or `epsilon`.' });
    }
    if (config.epsilon !== undefined && config.distribution === 'gaussian') {
      ctx.addIssue({
        code: 'custom',
        path: ['epsilon'],
        message: '`epsilon` sets a Laplace scale; for `gaussian` give `scale` (σ).',
      });
    }
  })
  .describe('Numeric noise (Laplace or Gaussian) with a keyed, reproducible seed per row or value.');

export type NoiseConfig = z.infer<typeof noiseConfigSchema>;

const ACCEPTS = 'integers and floats (`Float32`, `Float64`)';
const TWO_53 = 2 ** 53;

function accepts(type: DataType): boolean {
  return DataType.isInt(type) || (DataType.isFloat(type) && (type as Float).precision > 0);
}

/** A uniform number in [0, 1) from 53 bits of the MAC, starting at `word`. */
function uniform(out: Int32Array, word: number): number {
  return ((out[word]! >>> 0) * 2 ** 21 + (out[word + 1]! >>> 11)) / TWO_53;
}

/** A sample of the distribution with the given scale, from the MAC in `out`. */
export function sampleNoise(out: Int32Array, distribution: 'laplace' | 'gaussian', scale: number): number {
  if (distribution === 'laplace') {
    // Inverse CDF; the half-ulp offset keeps log's argument above 0.
    const u = uniform(out, 0) - 0.5 + 2 ** -54;
    return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }
  // Box–Muller: 1 - u is in (0, 1].
  return scale * Math.sqrt(-2 * Math.log(1 - uniform(out, 0))) * Math.cos(2 * Math.PI * uniform(out, 2));
}

/** Per-row noise from the MAC of each `seed` value; rows with a null seed are marked invalid. */
function rowNoise(
  seed: Data,
  mac: HmacSha256,
  config: NoiseConfig,
  scale: number,
): { noise: Float64Array; ok: Uint8Array } {
  const noise = new Float64Array(seed.length);
  const ok = new Uint8Array(seed.length);
  const each = (i: number): void => {
    noise[i] = sampleNoise(mac.out, config.distribution, scale);
    ok[i] = 1;
  };
  if (DataType.isFloat(seed.type)) {
    // Floats are seeded by their IEEE 754 float64 bytes.
    const valid = rebasedValidity(seed);
    const values = seed.values as Float32Array | Float64Array;
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < seed.length; i++) {
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      view.setFloat64(0, values[i]!);
      mac.update(bytes, 0, 8);
      each(i);
    }
  } else {
    macEach(seed, mac, each);
  }
  return { noise, ok };
}

/** Adds per-row noise to one chunk; ints are rounded and clamped to their type. */
export function noiseData(data: Data, noise: Float64Array, ok: Uint8Array): Data {
  const { type, length } = data;
  if (!accepts(type)) throw unsupportedTypeError('noise', type, ACCEPTS);
  const valid = rebasedValidity(data);
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (ok[i] === 1 && (!valid || (valid[i >> 3]! >> (i & 7)) & 1)) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  const present = (i: number): boolean => ((bitmap[i >> 3]! >> (i & 7)) & 1) === 1;
  if (DataType.isFloat(type)) {
    const src = data.values as Float32Array | Float64Array;
    const out = new (src.constructor as Float64ArrayConstructor)(length);
    for (let i = 0; i < length; i++) if (present(i)) out[i] = src[i]! + noise[i]!;
    return flatData(type, length, nulls, bitmap, out);
  }
  const int = type as Int;
  if (int.bitWidth === 64) {
    const src = data.values as BigInt64Array | BigUint64Array;
    const out = new (src.constructor as BigInt64ArrayConstructor)(length);
    const min = int.isSigned ? -(2n ** 63n) : 0n;
    const max = int.isSigned ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    for (let i = 0; i < length; i++) {
      if (!present(i)) continue;
      const v = src[i]! + BigInt(Math.round(noise[i]!));
      out[i] = v < min ? min : v > max ? max : v;
    }
    return flatData(type, length, nulls, bitmap, out);
  }
  const src = data.values as Int32Array;
  const out = new (src.constructor as Int32ArrayConstructor)(length);
  const min = int.isSigned ? -(2 ** (int.bitWidth - 1)) : 0;
  const max = int.isSigned ? 2 ** (int.bitWidth - 1) - 1 : 2 ** int.bitWidth - 1;
  for (let i = 0; i < length; i++) {
    if (present(i)) out[i] = Math.min(max, Math.max(min, Math.round(src[i]! + noise[i]!)));
  }
  return flatData(type, length, nulls, bitmap, out);
}

function column(batch: RecordBatch | undefined, by: string): Data {
  const index = batch?.schema.fields.findIndex((f) => f.name === by) ?? -1;
  if (!batch || index < 0) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      `Mask \`noise\` needs column \`${by}\` of the same batch; it is missing. Add \`${by}\` to the source's columns.`,
      { context: { mask: 'noise', input_column: by } },
    );
  }
  return batch.data.children[index]!;
}

/** `noise`: Laplace or Gaussian noise seeded by the keyed HMAC of the row id (`by`) or of the value. */
export const noiseMask: MaskDefinition<NoiseConfig> = {
  kind: 'mask',
  type: 'noise',
  description:
    'Add Laplace or Gaussian noise to numbers; the seed is the keyed HMAC of the `by` column (or of the value), so reruns are reproducible.',
  configSchema: noiseConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: true },
  outputType(input) {
    if (!accepts(input)) throw unsupportedTypeError('noise', input, ACCEPTS);
    return input;
  },
  outputNullable(nullable, config) {
    return config.by === undefined ? nullable : true;
  },
  inputColumns(config) {
    return config.by === undefined ? [] : [config.by];
  },
  keyId(config) {
    return config.key_id;
  },
  async create(config, ctx) {
    const key = await ctx.keys.get(config.key_id);
    const scale = config.scale ?? config.sensitivity / config.epsilon!;
    const macs = new Map<string, HmacSha256>();
    return (vector, field, batch) => {
      // A sub-key per column, so two columns of one row get independent noise.
      const name = field?.name ?? '';
      let mac = macs.get(name);
      if (!mac) {
        mac = new HmacSha256(new HmacSha256(key).digest(new TextEncoder().encode(`sluice/noise/v1:${name}`)));
        macs.set(name, mac);
      }
      const data = vector.data[0]!;
      if (vector.data.length !== 1) throw new SluiceError('INTERNAL', '`noise` expects one chunk per call.');
      const seed = config.by === undefined ? data : column(batch, config.by);
      const { noise, ok } = rowNoise(seed, mac, config, scale);
      return new Vector([noiseData(data, noise, ok)]);
    };
  },
};
