import {
  Bool,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  TimestampMicrosecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { redactConfigSchema, redactMask } from './redact-mask.js';

async function redact(vector: Vector, value?: string): Promise<Vector> {
  const config = redactConfigSchema.parse({ mask: 'redact', ...(value === undefined ? {} : { value }) });
  return (await redactMask.create(config, undefined as never))(vector, undefined as never);
}

describe('redact mask', () => {
  it('replaces every string by `[REDACTED]` and keeps nulls null', async () => {
    const out = await redact(vectorFromArray(['alice', null, 'bob'], new Utf8()));
    expect(out.type).toBeInstanceOf(Utf8);
    expect([...out]).toEqual(['[REDACTED]', null, '[REDACTED]']);
  });

  it('uses the configured constant, also for large strings', async () => {
    expect([...(await redact(vectorFromArray(['x', null], new Utf8()), 'hidden'))]).toEqual(['hidden', null]);
    const large = await redact(vectorFromArray(['x', null, 'yy'], new LargeUtf8()), '∅');
    expect(large.type).toBeInstanceOf(LargeUtf8);
    expect([...large]).toEqual(['∅', null, '∅']);
  });

  it('gives 0, false and the epoch for numbers, booleans, dates and timestamps, keeping the type', async () => {
    const cases: [Vector, unknown][] = [
      [vectorFromArray([5, null, -3], new Int32()), 0],
      [vectorFromArray([5n, null, -3n], new Int64()), 0n],
      [vectorFromArray([1.5, null, 2], new Float64()), 0],
      [vectorFromArray([true, null, true], new Bool()), false],
      [vectorFromArray([new Date('2020-01-02'), null, new Date('1999-12-31')], new DateDay()), 0],
      [vectorFromArray([1_700_000_000_000, null, 5], new TimestampMicrosecond()), 0],
    ];
    for (const [input, zero] of cases) {
      const out = await redact(input);
      expect(out.type.toString()).toBe(input.type.toString());
      const values = [...out].map((v) => (v instanceof Date ? v.getTime() : v));
      expect(values).toEqual([zero, null, zero]);
    }
  });

  it('masks a sliced vector with unaligned nulls', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? null : `secret-${i}`));
    const out = await redact(vectorFromArray(texts, new Utf8()).slice(3, 29));
    expect([...out]).toEqual(texts.slice(3, 29).map((t) => (t === null ? null : '[REDACTED]')));
  });

  it('rejects nested types at validation', () => {
    const list = new List(new Field('item', new Int32(), true));
    expect(() => redactMask.outputType(list, { mask: 'redact', value: 'x' })).toThrow(
      expect.objectContaining({ code: 'SCHEMA_MISMATCH' }),
    );
  });
});
