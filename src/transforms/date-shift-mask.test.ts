import {
  DateDay,
  Field,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createColumnMasks, validateColumnMasks } from './column-masks.js';
import { dateShiftMask } from './date-shift-mask.js';
import { maskTestContext } from './mask-test-context.js';

const DAY = 86_400_000;
const schema = new Schema([
  new Field('patient', new Utf8(), true),
  new Field('admitted', new DateDay(), true),
  new Field('seen_at', new TimestampMillisecond(), true),
  new Field('n', new Int64(), true),
]);

function batch(patients: (string | null)[], days: number[]): RecordBatch {
  const cols = [
    vectorFromArray(patients, new Utf8()),
    vectorFromArray(
      days.map((d) => new Date(d * DAY)),
      new DateDay(),
    ),
    vectorFromArray(
      days.map((d) => new Date(d * DAY + 3_600_000)),
      new TimestampMillisecond(),
    ),
    vectorFromArray(
      days.map((d) => BigInt(d)),
      new Int64(),
    ),
  ];
  return new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      length: days.length,
      nullCount: 0,
      children: cols.map((c) => c.data[0]!),
    }),
  );
}

const plans = (by = 'patient') =>
  ['admitted', 'seen_at'].map((column) => ({
    column,
    definition: dateShiftMask,
    config: { mask: 'date_shift', key_id: 'a', by, max_days: 60 } as never,
    origin: 'pipeline' as const,
  }));

async function run(input: RecordBatch[]): Promise<RecordBatch[]> {
  const masks = await createColumnMasks('visits', plans(), maskTestContext());
  async function* stream() {
    yield* input;
  }
  const out: RecordBatch[] = [];
  for await (const b of masks.apply(stream(), new AbortController().signal)) out.push(b);
  return out;
}

const days = (b: RecordBatch, col: string) =>
  [...b.getChild(col)!].map((v) => (v === null ? null : Math.floor(Number(v) / DAY)));

describe('date_shift mask', () => {
  it('moves every date of one entity by the same days, across batches, within max_days', async () => {
    const [a, b] = await run([batch(['p1', 'p2', 'p1'], [19000, 19000, 19010]), batch(['p1'], [19100])]);
    const shiftA = days(a!, 'admitted')[0]! - 19000;
    expect(Math.abs(shiftA)).toBeLessThanOrEqual(60);
    expect(days(a!, 'admitted')[2]! - days(a!, 'admitted')[0]!).toBe(10);
    expect(days(b!, 'admitted')[0]! - 19100).toBe(shiftA);
    expect(days(a!, 'seen_at')[0]! - 19000).toBe(shiftA);
    expect(Number(a!.getChild('seen_at')!.get(0)) % DAY).toBe(3_600_000);
  });

  it('spreads entities over different shifts', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const [out] = await run([
      batch(
        ids,
        ids.map(() => 19000),
      ),
    ]);
    expect(new Set(days(out!, 'admitted')).size).toBeGreaterThan(60);
  });

  it('hides the date of a row without an entity', async () => {
    const [out] = await run([batch([null, 'p1'], [19000, 19000])]);
    expect(out!.getChild('admitted')!.get(0)).toBeNull();
    expect(out!.getChild('admitted')!.get(1)).not.toBeNull();
  });

  it('reports a missing entity column at validation, naming it', () => {
    const problems = validateColumnMasks('visits', schema, plans('patient_id'));
    expect(problems[0]!.message).toMatch(
      /`date_shift` on column `admitted` of source `visits` reads column `patient_id`/,
    );
  });

  it('refuses a string column at validation', () => {
    expect(() => dateShiftMask.outputType(new Utf8(), {} as never)).toThrowError(
      /cannot take a column of type `Utf8`/,
    );
  });
});
