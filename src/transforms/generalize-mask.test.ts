import { DateDay, Float64, Int32, Int64, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { generalizeConfigSchema, generalizeMask } from './generalize-mask.js';

const run = async (
  options: Record<string, unknown>,
  vector: Parameters<Awaited<ReturnType<typeof generalizeMask.create>>>[0],
) => {
  const config = generalizeConfigSchema.parse({ mask: 'generalize', ...options });
  generalizeMask.outputType(vector.type, config);
  return [...(await generalizeMask.create(config, undefined as never))(vector, undefined as never)];
};

describe('generalize mask', () => {
  it('rounds numbers down to buckets, negatives included, keeping nulls and the type', async () => {
    expect(await run({ bucket_size: 10 }, vectorFromArray([37, -3, null, 40], new Int32()))).toEqual([
      30,
      -10,
      null,
      40,
    ]);
    expect(await run({ bucket_size: 10 }, vectorFromArray([37n, -3n], new Int64()))).toEqual([30n, -10n]);
    expect(await run({ bucket_size: 0.5 }, vectorFromArray([1.7, 2.2], new Float64()))).toEqual([1.5, 2]);
  });

  it('truncates dates and timestamps to year, month, ISO week and day in UTC', async () => {
    const d = new Date('2024-05-16T13:45:00Z'); // a Thursday
    const iso = (v: unknown) => new Date(Number(v)).toISOString().slice(0, 10);
    expect((await run({ truncate: 'year' }, vectorFromArray([d], new DateDay()))).map(iso)).toEqual([
      '2024-01-01',
    ]);
    expect((await run({ truncate: 'month' }, vectorFromArray([d], new DateDay()))).map(iso)).toEqual([
      '2024-05-01',
    ]);
    expect((await run({ truncate: 'week' }, vectorFromArray([d], new DateDay()))).map(iso)).toEqual([
      '2024-05-13',
    ]);
    const ts = await run({ truncate: 'day' }, vectorFromArray([d], new TimestampMicrosecond()));
    expect(ts[0]).toBe(Date.parse('2024-05-16T00:00:00Z'));
  });

  it('keeps the first characters of postcodes', async () => {
    expect(
      await run({ keep_chars: 3 }, vectorFromArray(['SW1A 1AA', '75011', 'ab', null], new Utf8())),
    ).toEqual(['SW1', '750', 'ab', null]);
  });

  it('turns dates of birth into age bands at a fixed date', async () => {
    const dobs = vectorFromArray(
      [new Date('1990-06-01'), new Date('1990-06-02'), new Date('2030-01-01'), null],
      new DateDay(),
    );
    expect(await run({ age_band_years: 10, as_of: '2025-06-01' }, dobs)).toEqual([
      '30-39',
      '30-39',
      null,
      null,
    ]);
    expect(await run({ age_band_years: 5, as_of: '2020-06-01' }, dobs)).toEqual([
      '30-34',
      '25-29',
      null,
      null,
    ]);
  });

  it('needs exactly one mode, `as_of` with age bands, and the right column type', () => {
    expect(generalizeConfigSchema.safeParse({ mask: 'generalize' }).success).toBe(false);
    expect(
      generalizeConfigSchema.safeParse({ mask: 'generalize', bucket_size: 5, keep_chars: 2 }).success,
    ).toBe(false);
    expect(generalizeConfigSchema.safeParse({ mask: 'generalize', age_band_years: 10 }).success).toBe(false);
    const config = generalizeConfigSchema.parse({ mask: 'generalize', truncate: 'year' });
    expect(() => generalizeMask.outputType(new Utf8(), config)).toThrowError(/dates and timestamps/);
    const half = generalizeConfigSchema.parse({ mask: 'generalize', bucket_size: 0.5 });
    expect(() => generalizeMask.outputType(new Int32(), half)).toThrowError(/integer `bucket_size`/);
  });
});
