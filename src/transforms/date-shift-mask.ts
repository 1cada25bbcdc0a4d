import { type Data, type RecordBatch, Vector } from 'apache-arrow';
import { z } from 'zod';
import type { MaskDefinition } from '../core/component-definition.js';
import { SluiceError } from '../core/errors.js';
import { flatData } from './flat-data.js';
import { macEach } from './hmac-mask.js';
import { HmacSha256 } from './hmac-sha256.js';
import { temporalLayout } from './temporal.js';
import { unsupportedTypeError } from './unsupported-type-error.js';
import { rebasedValidity } from './validity.js';

export const dateShiftConfigSchema = z
  .strictObject({
    mask: z
      .literal('date_shift')
      .describe(
        'Shifts every date by a whole number of days chosen per entity, so intervals within one entity are kept.',
      ),
    key_id: z
      .string()
      .min(1)
      .describe("Id of the key in the key ring; the entity key's HMAC picks the shift."),
    by: z
      .string()
      .min(1)
      .describe(
        'Column holding the entity key (e.g. `patient_id`): every row of one entity moves by the same number of days.',
      ),
    max_days: z
      .int()
      .min(1)
      .max(36_500)
      .default(30)
      .describe('Largest shift in days, either way: shifts are uniform in [-max_days, max_days].'),
  })
  .describe('Per-entity consistent date shift: the same entity always moves by the same number of days.');

export type DateShiftConfig = z.infer<typeof dateShiftConfigSchema>;

const ACCEPTS = 'dates (`DateDay`, `DateMillisecond`) and timestamps';

/** The shift in days for each row, from the MAC of its entity; `valid` marks rows whose entity is not null. */
export function entityShifts(
  entity: Data,
  mac: HmacSha256,
  maxDays: number,
): { days: Int32Array; valid: Uint8Array } {
  const days = new Int32Array(entity.length);
  const valid = new Uint8Array(entity.length);
  const span = 2 * maxDays + 1;
  macEach(entity, mac, (i) => {
    days[i] = ((mac.out[0]! >>> 0) % span) - maxDays;
    valid[i] = 1;
  });
  return { days, valid };
}

/** Shifts one chunk by per-row day counts; a row whose entity is null becomes null. */
export function dateShiftData(data: Data, days: Int32Array, entityValid: Uint8Array): Data {
  const { type, length } = data;
  const layout = temporalLayout(type);
  if (!layout) throw unsupportedTypeError('date_shift', type, ACCEPTS);
  const valid = rebasedValidity(data);
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    const ok = entityValid[i] === 1 && (!valid || (valid[i >> 3]! >> (i & 7)) & 1);
    if (ok) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  if (layout.kind === 'days') {
    const src = data.values as Int32Array;
    const out = new Int32Array(length);
    for (let i = 0; i < length; i++) out[i] = (bitmap[i >> 3]! >> (i & 7)) & 1 ? src[i]! + days[i]! : 0;
    return flatData(type, length, nulls, bitmap, out);
  }
  const src = data.values as BigInt64Array;
  const out = new BigInt64Array(length);
  const perDay = layout.perDay;
  for (let i = 0; i < length; i++) {
    if ((bitmap[i >> 3]! >> (i & 7)) & 1) out[i] = src[i]! + BigInt(days[i]!) * perDay;
  }
  return flatData(type, length, nulls, bitmap, out);
}

function entityData(batch: RecordBatch | undefined, by: string): Data {
  const index = batch?.schema.fields.findIndex((f) => f.name === by) ?? -1;
  if (!batch || index < 0) {
    throw new SluiceError(
      'SCHEMA_MISMATCH',
      `Mask \`date_shift\` needs column \`${by}\` of the same batch; it is missing. Add \`${by}\` to the source's columns.`,
      { context: { mask: 'date_shift', input_column: by } },
    );
  }
  return batch.data.children[index]!;
}

/** `date_shift`: per-entity consistent date shift within ±`max_days`. */
export const dateShiftMask: MaskDefinition<DateShiftConfig> = {
  kind: 'mask',
  type: 'date_shift',
  description:
    'Shift dates and timestamps by a number of days chosen per entity (HMAC of the `by` column), keeping intervals within an entity.',
  configSchema: dateShiftConfigSchema,
  properties: { reversible: false, deterministic: true, keyed: true },
  outputType(input) {
    if (!temporalLayout(input)) throw unsupportedTypeError('date_shift', input, ACCEPTS);
    return input;
  },
  outputNullable() {
    // A row without an entity cannot be shifted consistently, so its date is hidden.
    return true;
  },
  inputColumns(config) {
    return [config.by];
  },
  keyId(config) {
    return config.key_id;
  },
  async create(config, ctx) {
    const mac = new HmacSha256(await ctx.keys.get(config.key_id));
    return (vector, _field, batch) => {
      const entity = entityData(batch, config.by);
      if (vector.data.length !== 1 || entity.length !== vector.length) {
        throw new SluiceError('INTERNAL', '`date_shift` expects one chunk aligned with its batch.');
      }
      const { days, valid } = entityShifts(entity, mac, config.max_days);
      return new Vector([dateShiftData(vector.data[0]!, days, valid)]);
    };
  },
};
