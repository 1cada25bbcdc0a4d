import { describe, expect, it } from 'vitest';
import {
  daysFromCivil,
  parseDateDays,
  parseIsoInterval,
  parseTimestampMicros,
  UnrepresentableValueError,
  writeDecimal128,
} from './pg-text.js';

function decimal(text: string, scale: number): bigint {
  const words = new Uint32Array(4);
  writeDecimal128(text, scale, words, 0);
  return BigInt.asIntN(
    128,
    words.reduce((acc, w, i) => acc | (BigInt(w) << BigInt(32 * i)), 0n),
  );
}

describe('PostgreSQL text parsing', () => {
  it('counts days like the proleptic Gregorian calendar', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(parseDateDays('2000-03-01')).toBe(Date.UTC(2000, 2, 1) / 86_400_000);
    expect(parseDateDays('0001-01-01 BC')).toBe(daysFromCivil(0, 1, 1));
    expect(() => parseDateDays('infinity')).toThrow(UnrepresentableValueError);
  });

  it('applies the zone offset of timestamptz text', () => {
    expect(parseTimestampMicros('2024-01-02 03:04:05.5+02')).toBe(
      BigInt(Date.UTC(2024, 0, 2, 1, 4, 5, 500)) * 1000n,
    );
    expect(parseTimestampMicros('1969-12-31 23:59:59.999999')).toBe(-1n);
  });

  it('reads ISO-8601 intervals with mixed signs', () => {
    expect(parseIsoInterval('P1Y2M3DT4H5M6.5S')).toEqual({ months: 14, days: 3, micros: 14_706_500_000n });
    expect(parseIsoInterval('PT-0.5S')).toEqual({ months: 0, days: 0, micros: -500_000n });
    expect(parseIsoInterval('PT0S')).toEqual({ months: 0, days: 0, micros: 0n });
  });

  it('writes decimals at the column scale, including 38-digit negatives', () => {
    expect(decimal('123.45', 2)).toBe(12_345n);
    expect(decimal('-0.01', 2)).toBe(-1n);
    expect(decimal('7', 3)).toBe(7_000n);
    expect(decimal(`-${'9'.repeat(28)}.${'9'.repeat(10)}`, 10)).toBe(-(10n ** 38n - 1n));
    expect(() => decimal('NaN', 2)).toThrow(UnrepresentableValueError);
  });
});
