import { type Data, DataType, type Float, type Int, Utf8 } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { ByteWriter } from './byte-writer.js';
import { flatData } from './flat-data.js';
import { mapChunks } from './map-chunks.js';
import { fromMillis, fullYears, temporalLayout, toMillis, truncateMillis } from './temporal.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const generalizeConfigSchema = z
  .strictObject({
    mask: z
      .literal('generalize')
      .describe('Replaces values by a coarser value: a bucket, a period, a prefix or an age band.'),
    bucket_size: z
      .number()
      .positive()
      .optional()
      .describe(
        'Numbers: round down to a multiple of this (`37` with 10 → `30`). Integer columns need an integer.',
      ),
    truncate: z
      .enum(['year', 'month', 'week', 'day'])
      .optional()
      .describe('Dates and timestamps: the start of the period in UTC (weeks start on Monday).'),
    keep_chars: z
      .int()
      .min(0)
      .optional()
      .describe(
        'Strings (e.g. postcodes): keep the first N characters and drop the rest (`SW1A 1AA` with 3 → `SW1`).',
      ),
    age_band_years: z
      .int()
      .min(1)
      .optional()
      .describe('Dates of birth: the age band on `as_of` as text, e.g. `30-39` with 10. Needs `as_of`.'),
    as_of: z
      .string()
      .regex(ISO_DATE, 'Give a date as YYYY-MM-DD.')
      .optional()
      .describe('The fixed date ages are computed at (YYYY-MM-DD, UTC), so reruns give the same bands.'),
  })
  .superRefine((config, ctx) => {
    const modes = (['bucket_size', 'truncate', 'keep_chars', 'age_band_years'] as const).filter(
      (k) => config[k] !== undefined,
    );
    if (modes.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'Give exactly one of `bucket_size`, `truncate`, `keep_chars` or `age_band_years`.',
      });
    }
    if ((config.age_band_years === undefined) !== (config.as_of === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['as_of'],
        message: '`age_band_years` and `as_of` go together: ages are computed at a fixed date.',
      });
    }
  })
  .describe('Coarsen values: numeric buckets, date truncation, string prefixes, age bands.');

export type GeneralizeConfig = z.infer<typeof generalizeConfigSchema>;

function modeOf(config: GeneralizeConfig): 'bucket' | 'truncate' | 'prefix' | 'age' {
  if (config.bucket_size !== undefined) return 'bucket';
  if (config.truncate !== undefined) return 'truncate';
  if (config.keep_chars !== undefined) return 'prefix';
  return 'age';
}

const ACCEPTS = {
  bucket: 'integers and floats',
  truncate: 'dates and timestamps',
  prefix: '`Utf8` strings',
  age: 'dates and timestamps',
};

function accepts(mode: ReturnType<typeof modeOf>, type: DataType): boolean {
  switch (mode) {
    case 'bucket':
      return DataType.isInt(type) || (DataType.isFloat(type) && (type as Float).precision > 0);
    case 'prefix':
      return DataType.isUtf8(type);
    default:
      return temporalLayout(type) !== undefined;
  }
}

function bucketData(data: Data, size: number): Data {
  const type = data.type as Int | Float;
  const { length } = data;
  const valid = rebasedValidity(data);
  const nulls = valid ? data.nullCount : 0;
  const src = data.values as ArrayLike<number> | BigInt64Array | BigUint64Array;
  const ArrayType = type.ArrayType as unknown as new (n: number) => { [i: number]: number | bigint };
  const out = new ArrayType(length);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    const b = BigInt(size);
    for (let i = 0; i < length; i++) {
      const v = src[i]!;
      const r = v % b;
      out[i] = r < 0n ? v - r - b : v - r;
    }
  } else {
    for (let i = 0; i < length; i++) out[i] = Math.floor(src[i]! / size) * size;
  }
  return flatData(type, length, nulls, valid, out as unknown as ArrayBufferView);
}

function truncateData(data: Data, unit: 'year' | 'month' | 'week' | 'day'): Data {
  const { type, length } = data;
  const layout = temporalLayout(type)!;
  const valid = rebasedValidity(data);
  const nulls = valid ? data.nullCount : 0;
  const present = (i: number): boolean => !valid || ((valid[i >> 3]! >> (i & 7)) & 1) === 1;
  if (layout.kind === 'days') {
    const out = new Int32Array(length);
    for (let i = 0; i < length; i++)
      if (present(i)) out[i] = truncateMillis(toMillis(data, layout, i), unit) / 86_400_000;
    return flatData(type, length, nulls, valid, out);
  }
  const out = new BigInt64Array(length);
  for (let i = 0; i < length; i++) {
    if (present(i)) out[i] = fromMillis(truncateMillis(toMillis(data, layout, i), unit), layout);
  }
  return flatData(type, length, nulls, valid, out);
}

function prefixData(data: Data, keep: number): Data {
  const { type, length } = data;
  const src = data.values as Uint8Array;
  const srcOffsets = data.valueOffsets as Int32Array;
  const valid = rebasedValidity(data);
  const nulls = valid ? data.nullCount : 0;
  const out = new ByteWriter(Math.min(srcOffsets[length]! - srcOffsets[0]!, length * keep * 4));
  const offsets = new Int32Array(length + 1);
  for (let i = 0; i < length; i++) {
    if (!valid || (valid[i >> 3]! >> (i & 7)) & 1) {
      const end = srcOffsets[i + 1]!;
      let p = srcOffsets[i]!;
      for (let seen = 0; p < end; p++) {
        if ((src[p]! & 0xc0) !== 0x80) {
          if (seen === keep) break;
          seen++;
        }
      }
      out.writeRange(src, srcOffsets[i]!, p);
    }
    offsets[i + 1] = out.pos;
  }
  return flatData(type, length, nulls, valid, out.finish(), offsets);
}

/** Age bands as text; a birth date after `as_of` becomes null. */
function ageBandData(data: Data, band: number, asOf: number): Data {
  const { length } = data;
  const layout = temporalLayout(data.type)!;
  const valid = rebasedValidity(data);
  const bitmap = new Uint8Array((length + 7) >> 3);
  const offsets = new Int32Array(length + 1);
  const out = new ByteWriter(length * 5);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (!valid || (valid[i >> 3]! >> (i & 7)) & 1) {
      const age = fullYears(toMillis(data, layout, i), asOf);
      if (age >= 0) {
        const low = Math.floor(age / band) * band;
        out.ascii(band === 1 ? String(low) : `${low}-${low + band - 1}`);
        bitmap[i >> 3]! |= 1 << (i & 7);
      } else nulls++;
    } else nulls++;
    offsets[i + 1] = out.pos;
  }
  return flatData(new Utf8(), length, nulls, bitmap, out.finish(), offsets);
}

/** Generalizes one chunk. Exported for benchmarks and tests. */
export function generalizeData(data: Data, config: GeneralizeConfig): Data {
  const mode = modeOf(config);
  if (!accepts(mode, data.type)) throw unsupportedTypeError('generalize', data.type, ACCEPTS[mode]);
  switch (mode) {
    case 'bucket':
      return bucketData(data, config.bucket_size!);
    case 'truncate':
      return truncateData(data, config.truncate!);
    case 'prefix':
      return prefixData(data, config.keep_chars!);
    case 'age':
      return ageBandData(data, config.age_band_years!, Date.parse(`${config.as_of!}T00:00:00Z`));
  }
}

/** `generalize`: numeric buckets, date truncation, string prefixes (postcodes), age bands. */
export const generalizeMask: MaskDefinition<GeneralizeConfig> = {
  kind: 'mask',
  type: 'generalize',
  description:
    'Coarsen values: numeric buckets, date/timestamp truncation, postcode prefixes, age bands from a date of birth.',
  configSchema: generalizeConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: false },
  outputType(input, config) {
    const mode = modeOf(config);
    if (!accepts(mode, input)) throw unsupportedTypeError('generalize', input, ACCEPTS[mode]);
    if (mode === 'bucket' && DataType.isInt(input) && !Number.isInteger(config.bucket_size)) {
      throw unsupportedTypeError('generalize', input, 'an integer `bucket_size` for integer columns');
    }
    return mode === 'age' ? new Utf8() : input;
  },
  outputNullable(nullable, config) {
    return modeOf(config) === 'age' ? true : nullable;
  },
  async create(config) {
    return (vector) => mapChunks(vector, (data) => generalizeData(data, config));
  },
};
